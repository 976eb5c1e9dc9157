package ablate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/**
 * A command run in this JVM with its standard output and error captured, and what every hostile
 * case asserts about a refusal: the exit code, the words that say what to fix (the file, key or
 * option), and no Java stack trace or exception class name on the terminal.
 */
public record CommandOutput(int exit, String out, String err) {

    /** Runs {@code command} (e.g. {@code () -> new CommandLine(new TrainCommand()).execute(args)}) with its output captured. */
    public static CommandOutput of(IntSupplier command) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            int exit = command.getAsInt();
            return new CommandOutput(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    /** Asserts a refusal with {@code exit} whose error names each of {@code mentions}, without a stack trace. */
    public CommandOutput assertRefused(int exit, String... mentions) {
        assertThat(this.exit).as("exit code; stderr: %s", err).isEqualTo(exit);
        if (mentions.length > 0) { // AssertJ refuses an empty list of values to look for
            assertThat(err).contains(mentions);
        }
        assertNoStackTrace();
        return this;
    }

    /** Asserts that nothing printed looks like a Java stack trace or an exception's class name. */
    public CommandOutput assertNoStackTrace() {
        for (String text : new String[] {out, err}) {
            assertThat(text).doesNotContain("\tat ").doesNotContain("Exception in thread").doesNotContainPattern("\\bjava\\.[a-z]+\\.\\w*Exception\\b")
                    .doesNotContainPattern("\\b[A-Z]\\w*Exception: ");
        }
        return this;
    }
}
