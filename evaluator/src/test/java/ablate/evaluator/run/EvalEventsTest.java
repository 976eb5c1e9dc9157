package ablate.evaluator.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A results file written for a run's checkpoint brings its scores to TensorBoard at the
 * checkpoint's step, as the independent reader (ops/tensorboard/read-events.js) decodes them; one
 * written anywhere else brings none.
 */
class EvalEventsTest {
    @TempDir
    Path tmp;

    @Test
    void aRunCheckpointsResultsFileGetsItsScoresAtItsStep() throws Exception {
        EventReader.assumeNode();
        Path run = run("run");
        ObjectNode json = results(0.3412, 0.52);
        HarnessResults.write(ResultsFile.of(run, 40), json);

        EventReader.Output out = read(EvalEvents.folder(run));
        assertThat(out.exit()).as(out.errors()).isZero();
        assertThat(out.records().getFirst().path("file_version").asText()).isEqualTo("brain.Event:2");
        assertThat(out.scalars()).allSatisfy(r -> assertThat(r.path("step").asLong()).isEqualTo(40));
        assertThat(scalars(out)).isEqualTo(Map.of(
                "eval/arc_easy/acc", (double) 0.3412f, "eval/arc_easy/acc_stderr", (double) 0.0138f,
                "eval/arc_easy/acc_norm", (double) 0.52f, "eval/arc_easy/acc_norm_stderr", (double) 0.0141f,
                "eval/probe_cloze/ppl", (double) 12.75f));
    }

    @Test
    void scoringACheckpointAgainReplacesItsEventFileAndLeavesTheOthers() throws Exception {
        EventReader.assumeNode();
        Path run = run("run");
        HarnessResults.write(ResultsFile.of(run, 40), results(0.30, 0.31));
        HarnessResults.write(ResultsFile.of(run, 80), results(0.40, 0.41));
        HarnessResults.write(ResultsFile.of(run, 40), results(0.35, 0.36));

        try (Stream<Path> s = Files.list(EvalEvents.folder(run))) {
            assertThat(s.map(p -> p.getFileName().toString().replaceFirst(".*\\.", "")).sorted().toList())
                    .containsExactly("eval-step-40", "eval-step-80");
        }
        EventReader.Output out = read(EvalEvents.folder(run));
        assertThat(out.exit()).as(out.errors()).isZero();
        List<Double> accAt40 = out.scalars().stream()
                .filter(r -> r.get("step").asLong() == 40 && r.get("tag").asText().equals("eval/arc_easy/acc"))
                .map(r -> r.get("value").doubleValue()).toList();
        assertThat(accAt40).as("the new score, once").containsExactly((double) 0.35f);
    }

    @Test
    void resultsWrittenOutsideARunFolderBringNoEvents() throws Exception {
        Path out = tmp.resolve("elsewhere/results.json");
        HarnessResults.write(out, results(0.3, 0.3));
        Path notARun = Files.createDirectories(tmp.resolve("not-a-run")); // no config.conf
        HarnessResults.write(ResultsFile.of(notARun, 40), results(0.3, 0.3));

        assertThat(ResultsFile.runStepOf(out)).isEmpty();
        assertThat(ResultsFile.runStepOf(ResultsFile.of(notARun, 40))).isEmpty();
        try (Stream<Path> all = Files.walk(tmp)) {
            assertThat(all.filter(p -> p.getFileName().toString().equals("tb"))).isEmpty();
        }
    }

    private Path run(String name) throws Exception {
        Path run = Files.createDirectories(tmp.resolve(name));
        Files.writeString(run.resolve("config.conf"), "model { layers = 2 }\n");
        return run;
    }

    /** A results file of two tasks: accuracies with standard errors, and a perplexity without one. */
    private static ObjectNode results(double acc, double accNorm) {
        List<TaskResult> tasks = List.of(
                new TaskResult("arc_easy", 0, new TaskResult.Builder().metric("acc", acc, OptionalDouble.of(0.0138))
                        .metric("acc_norm", accNorm, OptionalDouble.of(0.0141)).build(), 100, "test"),
                new TaskResult("probe_cloze", 0, new TaskResult.Builder().metric("ppl", 12.75, OptionalDouble.empty()).build(), 50, "test"));
        return HarnessResults.toJson(tasks, Map.of("num_fewshot", 0), Map.of("seconds", 1.5));
    }

    private EventReader.Output read(Path folder) throws Exception {
        return EventReader.read(folder, Files.createTempFile(tmp, "reader", ".err"));
    }

    private static Map<String, Double> scalars(EventReader.Output out) {
        Map<String, Double> m = new TreeMap<>();
        for (JsonNode r : out.scalars()) {
            m.put(r.get("tag").asText(), r.get("value").doubleValue());
        }
        return m;
    }
}
