package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.evaluator.scoring.EncoderDecoderLanguageModel;
import ablate.evaluator.tasks.Task;
import ablate.evaluator.tasks.TaskRegistry;
import ablate.testing.CommandOutput;
import ablate.trainer.cli.TrainCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `ablate eval` on an encoder-decoder end to end: a tiny one trained a few steps with span
 * corruption is scored on every built-in task's fixture data (and on TriviaQA with the newer
 * harness's generated exact_match, which decodes greedily); every task gets its results but the
 * perplexity task, which is skipped naming the reason in the output and in the results file; every
 * checkpoint of the run is scored with --all-checkpoints.
 */
class EncoderDecoderEvalTest {
    @TempDir
    Path dir;

    @Test
    void everyTaskRunsOnAnEncoderDecoderButPerplexityWhichIsSkippedWithTheReason() throws Exception {
        Path runDir = dir.resolve("t5");
        int trained = new CommandLine(new TrainCommand()).execute("--preset", "debug", "--set", "model.architecture=encoder-decoder",
                "--set", "train.objective=span-corruption", "--set", "train.steps=4", "--set", "checkpoint.interval=2", "--set",
                "train.threads=1", "--run-dir", runDir.toString());
        assertThat(trained).isZero();
        Path extra = Files.createDirectories(dir.resolve("defs"));
        String triviaqa = new String(EncoderDecoderEvalTest.class.getResourceAsStream("/tasks/triviaqa.conf").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        Files.writeString(extra.resolve("triviaqa_em.conf"), triviaqa.replace("name = triviaqa", "name = triviaqa_em")
                .replace("metrics = [{name = acc}]", "metrics = [{name = acc}, {name = exact_match}]"));

        CommandOutput run = EvalCommandTest.run("--checkpoint", runDir.toString(), "--tasks", "all", "--task-dir", extra.toString(),
                "--data-dir", fixtures().toString(), "--bootstrap-iters", "100", "--threads", "1", "--all-checkpoints");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("skipped wikitext: rolling loglikelihood (perplexity of whole documents) has no meaning for an"
                + " encoder-decoder");

        List<String> expected = new ArrayList<>();
        for (Task t : TaskRegistry.load(List.of(extra)).all()) {
            if (!t.name().equals("wikitext")) {
                expected.add(t.name());
            }
        }
        for (String step : List.of("step-2.json", "step-4.json")) {
            JsonNode json = new ObjectMapper().readTree(runDir.resolve("eval").resolve(step).toFile());
            assertThat(json.get("results").fieldNames()).toIterable().as("%s: %s", step, run.out()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(json.get("ablate").get("skipped").get("wikitext").asText()).isEqualTo(EncoderDecoderLanguageModel.ROLLING_REFUSED);
            assertThat(json.get("results").get("lambada").get("ppl").asDouble()).as("lambada keeps both its metrics").isPositive();
            assertThat(json.get("results").get("lambada").has("acc")).isTrue();
            assertThat(json.get("results").get("triviaqa_em").get("exact_match").asDouble()).isBetween(0.0, 1.0);
            assertThat(json.get("config").get("model_args").asText()).contains("step-0000000" + step.charAt(5));
        }
    }

    private static Path fixtures() throws Exception {
        return Path.of(EncoderDecoderEvalTest.class.getResource("/tasks/data").toURI());
    }
}
