package ablate.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CliTest {
    @Test
    void aBugIsOneLineNamingTheFileThatHoldsItsTraceAndUserErrorsAreOneLineToo() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int bug;
        int bad;
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(e);
            bug = Cli.guard(() -> {
                throw new NullPointerException("boom");
            });
            bad = Cli.guard(() -> {
                throw new IllegalArgumentException("--limit must be >= 0");
            });
        } finally {
            System.setErr(old);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertThat(bug).isEqualTo(Cli.FAILED);
        assertThat(bad).isEqualTo(Cli.BAD_INPUT);
        assertThat(text.lines()).hasSize(2);
        assertThat(text).contains("error: unexpected failure (a bug, not your input): java.lang.NullPointerException: boom")
                .contains("error: --limit must be >= 0").doesNotContain("\tat ");
        String file = text.substring(text.indexOf("the full trace is in ") + "the full trace is in ".length(), text.indexOf(" (ABLATE_DEBUG"));
        assertThat(Files.readString(Path.of(file))).contains("NullPointerException: boom").contains("\tat ");
    }
}
