package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.testing.CommandOutput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ablate eval-bench}: a model that cannot fit is refused before any work, and both architectures are benched. */
class EvalBenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aModelThatDoesNotFitIsRefusedBeforeTheTasksAreRead() {
        // the folder holds no task data: the refusal must come first, from the estimate
        run("--preset", "176b", "--data-dir", tmp.toString(), "--tasks", "copa")
                .assertRefused(2, "this model needs about", "to score", "--batch-tokens");
    }

    @Test
    void anEncoderDecoderIsBenchedAndTheThreeWaysAgree() throws Exception {
        CommandOutput run = run("--preset", "debug-encoder-decoder", "--data-dir", fixtures().toString(), "--tasks", "copa",
                "--limit", "4", "--rounds", "1", "--threads", "1");
        assertThat(run.exit()).as("stderr: %s", run.err()).isZero();
        JsonNode out = new ObjectMapper().readTree(run.out());
        assertThat(out.path("model").path("architecture").asText()).isEqualTo("encoder-decoder");
        assertThat(out.path("documents").asInt()).isPositive();
        assertThat(out.path("requests").asInt()).isEqualTo(2 * out.path("documents").asInt()); // copa: two choices each
        assertThat(out.path("batched_shared_examples_per_s").asDouble()).isPositive();
        assertThat(out.path("max_abs_loglikelihood_difference").asDouble()).isLessThan(1e-3);
    }

    private static CommandOutput run(String... args) {
        return CommandOutput.of(() -> new CommandLine(new EvalBenchCommand()).execute(args));
    }

    private static Path fixtures() throws Exception {
        return Path.of(EvalBenchCommandTest.class.getResource("/tasks/data").toURI());
    }
}
