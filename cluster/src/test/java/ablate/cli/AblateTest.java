package ablate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AblateTest {
    private record Result(int code, String out, String err) {}

    private static Result ablate(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            int code = Ablate.execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void anUnknownCommandIsAnErrorEvenWithHelpAndEverySubcommandKnowsTheVersion() {
        Result typo = ablate("nod", "--help");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err()).contains("unknown command 'nod'; did you mean 'node'?");
        assertThat(typo.out()).isEmpty();
        assertThat(ablate("train", "--version").out()).startsWith("ablate ");
        assertThat(ablate("data", "prepare", "--version").out()).startsWith("ablate ");
        assertThat(ablate("--version").code()).isZero();
    }
}
