package ablate.cluster;

import ablate.cluster.demo.NodeJvm;
import static org.assertj.core.api.Assertions.assertThat;

import ablate.evaluator.cli.EvalCommand;
import ablate.evaluator.probe.ProbeTasks;
import ablate.trainer.data.BuiltinCorpus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Zero-shot evaluation on the cluster with real JVMs: a run that asks for scores at every
 * checkpoint is trained, each committed checkpoint is planned by the coordinator's aggregator and
 * scored by two evaluator nodes, one of which is SIGKILLed while it holds units. The results files
 * equal, to the last digit, what {@code ablate eval} writes for the same checkpoint, tasks and limit.
 */
class ClusterEvaluationTest {
    private static final String TOKEN = "eval-test-token-5d1e8a";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    @AutoClose
    final Nodes nodes = new Nodes();

    @Test
    void evaluatorsKilledMidStreamLoseNothingAndTheScoresEqualAblateEvalToTheLastDigit() throws Exception {
        Path probes = dir.resolve("probes");
        List<String> heldOut = IntStream.range(0, 600).mapToObj(i -> BuiltinCorpus.heldOut(1, i)).toList();
        assertThat(ProbeTasks.write(probes, heldOut, 64, 40, 7)).containsEntry("probe_cloze", 40).containsEntry("probe_word", 40)
                .containsEntry("probe_order", 40);

        List<String> env = List.of("ABLATE_TOKEN=" + TOKEN, "ABLATE_CHAOS_EVAL_UNIT_MS=150");
        NodeJvm coordinator = nodes.start(dir, "coordinator", env, "--role", "coordinator", "--http-port", "0", "--data-dir",
                dir.resolve("coordinator").toString(), "--set", "cluster.storage=" + dir.resolve("runs"));
        nodes.start(dir, "trainer", env, "--role", "trainer", "--seed", coordinator.address(), "--data-dir", dir.resolve("trainer").toString(),
                "--set", "cluster.storage=" + dir.resolve("runs"));
        List<NodeJvm> evaluators = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            evaluators.add(nodes.start(dir, "evaluator-" + i, env, "--role", "evaluator", "--seed", coordinator.address(), "--data-dir",
                    dir.resolve("evaluator-" + i).toString(), "--set", "cluster.storage=" + dir.resolve("runs"), "--set",
                    "cluster.evaluation.threads=1"));
        }
        ClusterApi api = new ClusterApi(coordinator.api(), TOKEN);
        api.awaitTrainers(1);
        api.submit("scored", "debug", List.of("train.steps=20", "train.threads=1", "checkpoint.interval=10",
                "eval.tasks=[probe_cloze, probe_word, probe_order]", "eval.data-dir=" + probes, "eval.task-dir=" + probes.resolve("tasks"),
                "eval.limit=40", "eval.batch-tokens=256", "eval.every-checkpoint=on"));

        // the first evaluation (checkpoint 10) streams while the run trains on; kill an evaluator once it scores
        NodeJvm victim = evaluators.getFirst();
        awaitLine(victim.log(), "loaded checkpoint", Duration.ofMinutes(3));
        victim.signal("KILL");

        JsonNode end = api.awaitEnd("scored", Duration.ofMinutes(3));
        assertThat(end.path("state").asText()).isEqualTo("finished");
        Path runDir = dir.resolve("runs").resolve("scored");
        for (long step : List.of(10L, 20L)) {
            Path cluster = runDir.resolve("eval").resolve("step-" + step + ".json");
            awaitFile(cluster, Duration.ofMinutes(3));
            Path local = dir.resolve("local-" + step + ".json");
            int code = new CommandLine(new EvalCommand()).execute("--checkpoint",
                    runDir.resolve("checkpoints").resolve(String.format("step-%08d", step)).toString(), "--tasks", "probe_cloze,probe_word,probe_order",
                    "--task-dir", probes.resolve("tasks").toString(), "--data-dir", probes.toString(), "--limit", "40",
                    "--batch-tokens", "256", "--threads", "1", "--out", local.toString());
            assertThat(code).isZero();
            JsonNode ours = JSON.readTree(cluster.toFile());
            JsonNode theirs = JSON.readTree(local.toFile());
            assertThat(ours.get("results")).as("checkpoint %d: the cluster's results against ablate eval's", step)
                    .isEqualTo(theirs.get("results"));
            assertThat(ours.path("ablate").path("tasks")).isEqualTo(theirs.path("ablate").path("tasks"));
            assertThat(ours.path("results").path("probe_order").path("acc").isNumber()).isTrue();
        }
        assertThat(Files.readString(coordinator.log())).contains("go to other evaluators");
    }

    /**
     * An encoder-decoder is submitted, trained on the cluster and scored by an evaluator node (its
     * checkpoint loaded as ablate eval loads it, its planned pair batches shipped); the results
     * file equals ablate eval's to the last digit.
     */
    @Test
    void anEncoderDecoderTrainedOnTheClusterIsScoredAsAblateEvalScoresIt() throws Exception {
        Path probes = dir.resolve("probes");
        List<String> heldOut = IntStream.range(0, 600).mapToObj(i -> BuiltinCorpus.heldOut(1, i)).toList();
        ProbeTasks.write(probes, heldOut, 64, 20, 7);
        List<String> env = List.of("ABLATE_TOKEN=" + TOKEN);
        NodeJvm coordinator = nodes.start(dir, "coordinator", env, "--role", "coordinator", "--http-port", "0", "--data-dir",
                dir.resolve("coordinator").toString(), "--set", "cluster.storage=" + dir.resolve("runs"));
        nodes.start(dir, "trainer", env, "--role", "trainer", "--seed", coordinator.address(), "--data-dir", dir.resolve("trainer").toString(),
                "--set", "cluster.storage=" + dir.resolve("runs"));
        nodes.start(dir, "evaluator", env, "--role", "evaluator", "--seed", coordinator.address(), "--data-dir",
                dir.resolve("evaluator").toString(), "--set", "cluster.storage=" + dir.resolve("runs"), "--set", "cluster.evaluation.threads=1");
        ClusterApi api = new ClusterApi(coordinator.api(), TOKEN);
        api.awaitTrainers(1);
        api.submit("t5", "debug", List.of("model.architecture=encoder-decoder", "train.objective=span-corruption", "train.steps=6",
                "train.threads=1", "checkpoint.interval=6", "eval.tasks=[probe_cloze, probe_order]", "eval.data-dir=" + probes,
                "eval.task-dir=" + probes.resolve("tasks"), "eval.limit=20", "eval.batch-tokens=512"));

        JsonNode end = api.awaitEnd("t5", Duration.ofMinutes(3));
        assertThat(end.path("state").asText()).isEqualTo("finished");
        Path runDir = dir.resolve("runs").resolve("t5");
        Path cluster = runDir.resolve("eval").resolve("step-6.json");
        awaitFile(cluster, Duration.ofMinutes(3));
        Path local = dir.resolve("local-6.json");
        int code = new CommandLine(new EvalCommand()).execute("--checkpoint", runDir.resolve("checkpoints").resolve("step-00000006").toString(),
                "--tasks", "probe_cloze,probe_order", "--task-dir", probes.resolve("tasks").toString(), "--data-dir", probes.toString(),
                "--limit", "20", "--batch-tokens", "512", "--threads", "1", "--out", local.toString());
        assertThat(code).isZero();
        JsonNode ours = JSON.readTree(cluster.toFile());
        assertThat(ours.get("results")).as("the cluster's results against ablate eval's").isEqualTo(JSON.readTree(local.toFile()).get("results"));
        assertThat(ours.path("results").path("probe_cloze").path("ppl").isNumber()).isTrue();
    }

    private static void awaitLine(Path log, String text, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!Files.readString(log).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in " + log + " within " + within + ":\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    private static void awaitFile(Path file, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + file + " within " + within);
            }
            Thread.sleep(100);
        }
    }
}
