package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Every option of `ablate plan` is range-checked: a bad value is one line naming it, exit 2, never a silent default. */
class PlanCommandTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--gpus 0|--gpus must be at least 1",
        "--gpus -3|--gpus must be at least 1",
        "--mfu 0|MFU must be in (0, 1]",
        "--mfu 1.5|MFU must be in (0, 1]",
        "--tflops-per-gpu 0|--tflops-per-gpu must be positive",
        "--tflops-per-gpu 2000|at most 1.5 x the a100-80gb's peak",
        "--tflops-per-gpu NaN|--tflops-per-gpu must be positive",
        "--min-tokens Infinity|--min-tokens must be >= 0 and finite",
        "--zero 2|--zero must be 0 or 1"})
    void badValuesAreRefusedNamingTheOption(String option, String message) {
        String[] extra = option.split(" ");
        String[] args = new String[4 + extra.length];
        args[0] = "--gpu-hours";
        args[1] = "1e6";
        args[2] = "--gpu";
        args[3] = "a100-80gb";
        System.arraycopy(extra, 0, args, 4, extra.length);
        assertRefused(args, message);
    }

    @ParameterizedTest(name = "--gpu-hours {0}")
    @CsvSource({"Infinity", "0", "-1", "NaN"})
    void theBudgetMustBePositiveAndFinite(String hours) {
        assertRefused(new String[] {"--gpu-hours", hours, "--gpu", "a100-80gb"}, "--gpu-hours must be a positive, finite number");
    }

    @Test
    void aBudgetBeyondTheScalingLawsPrintsTheWarning() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            code = new CommandLine(new PlanCommand()).execute("--gpu-hours", "1e6", "--gpu", "a100-80gb");
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        assertThat(text).contains("Warning: extrapolating far outside the ranges the scaling laws were fitted on")
                .contains("Hoffmann et al. 2022: budget = 4.0e+23 is 8.4x above the 2.1e+18 to 4.8e+22 FLOPs it was fitted on");
    }

    private static void assertRefused(String[] args, String message) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(e);
            code = new CommandLine(new PlanCommand()).execute(args);
        } finally {
            System.setErr(old);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isEqualTo(2);
        assertThat(text).contains(message).doesNotContain("\tat ");
    }
}
