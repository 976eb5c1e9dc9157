package ablate.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.run.Run;
import ablate.trainer.run.RunDirectory;
import ablate.trainer.run.SampleLedger;
import ablate.trainer.run.TrainingData;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults with real processes: every node is a JVM of its own on 127.0.0.1, and a trainer is killed
 * with SIGKILL while the run trains. The survivors go on from memory (the step in flight is
 * computed again, nothing else), so the run ends with exactly the losses of an undisturbed local
 * run and a clean sample ledger; a spare trainer joins the group at its next checkpoint barrier.
 */
class FaultToleranceTest {
    private static final String TOKEN = "fault-test-token-2b7c9e";
    /** debug with 8 micro-batches per step, dropout and the prefix mask; a checkpoint every 30 steps. */
    private static final List<String> RUN = List.of("train.steps=90", "train.threads=1", "train.global-batch-size=32",
            "train.micro-batch-size=4", "model.dropout=0.1", "model.attention-mask=prefix", "train.eval-interval=30",
            "checkpoint.interval=30", "data.builtin.train-documents=2000");

    @TempDir
    Path dir;
    private final List<NodeProcess> nodes = new ArrayList<>();

    @AfterEach
    void stopCluster() throws Exception {
        for (NodeProcess n : nodes.reversed()) {
            n.close();
        }
    }

    private ClusterApi startCluster(int trainers) throws Exception {
        List<String> env = List.of("ABLATE_TOKEN=" + TOKEN);
        String storage = "cluster.storage=" + dir.resolve("runs");
        NodeProcess coordinator = NodeProcess.start(dir.resolve("coordinator.log"), env, "--role", "coordinator", "--http-port", "0",
                "--data-dir", dir.resolve("coordinator").toString(), "--set", storage);
        nodes.add(coordinator);
        for (int i = 0; i < trainers; i++) {
            nodes.add(NodeProcess.start(dir.resolve("trainer-" + i + ".log"), env, "--role", "trainer", "--seed", coordinator.address(),
                    "--data-dir", dir.resolve("trainer-" + i).toString(), "--set", storage));
        }
        ClusterApi api = new ClusterApi(coordinator.api(), TOKEN);
        api.awaitTrainers(trainers);
        return api;
    }

    @Test
    void killedTrainersCostOnlyTheStepInFlightASpareJoinsAtTheNextCheckpointAndTheLossesStayExact() throws Exception {
        Map<Long, double[]> expected = localRun();
        ClusterApi api = startCluster(4); // 3 for the run, 1 spare
        List<String> set = new ArrayList<>(RUN);
        set.add("cluster.data-parallel=3");
        api.submit("chaos", "debug", set);

        List<Double> recoverySeconds = new ArrayList<>();
        long earliest = 12;
        for (int kill = 0; kill < 2; kill++) {
            long killAt = earliest;
            JsonNode before = api.await("chaos", r -> r.path("step").asLong() >= killAt && r.path("trainers").asInt() == 3
                    || r.path("state").asText().matches("finished|failed"), Duration.ofMinutes(3));
            assertThat(before.path("state").asText()).as("running on 3 trainers when kill %d comes: %s", kill, before).isEqualTo("running");
            NodeProcess victim = trainerOf(before, kill == 0 ? 1 : 0);
            long killedAt = System.nanoTime();
            long stepAtKill = before.path("step").asLong();
            victim.signal("KILL");
            JsonNode after = api.await("chaos", r -> r.path("trainers").asInt() == 2 && r.path("step").asLong() > stepAtKill + 1
                    || r.path("state").asText().matches("finished|failed"), Duration.ofMinutes(2));
            recoverySeconds.add((System.nanoTime() - killedAt) / 1e9);
            assertThat(after.path("state").asText()).as("after the kill at step %d: %s", stepAtKill, after).isEqualTo("running");
            if (kill == 0) {
                // the spare joins at the next checkpoint barrier (step 30), restoring it while the others keep their memory
                JsonNode grown = api.await("chaos", r -> r.path("trainers").asInt() == 3 || r.path("state").asText().matches("finished|failed"),
                        Duration.ofMinutes(2));
                assertThat(grown.path("state").asText()).as("grown back: %s", grown).isEqualTo("running");
                assertThat(grown.path("step").asLong()).as("grown at the checkpoint of step 30").isBetween(30L, 59L);
                earliest = Math.max(48, grown.path("step").asLong() + 3);
            }
        }
        JsonNode end = api.awaitEnd("chaos", Duration.ofMinutes(3));
        assertThat(end.path("state").asText()).as("%s", end).isEqualTo("finished");
        assertThat(end.path("restarts").asInt()).as("no fallback to a checkpoint").isZero();

        Path runDir = dir.resolve("runs/chaos");
        Map<Long, double[]> clustered = ClusterApi.losses(runDir);
        assertThat(clustered.keySet()).containsExactlyElementsOf(expected.keySet());
        for (long step : expected.keySet()) {
            assertThat(clustered.get(step)).as("step %d after two SIGKILLs and a join: loss and val loss", step)
                    .containsExactly(expected.get(step));
        }
        SampleLedger.Verdict ledger = SampleLedger.check(runDir.resolve(SampleLedger.FILE));
        assertThat(ledger.problem()).isEmpty();
        assertThat(ledger.steps()).isEqualTo(90);
        assertThat(ledger.regroups()).as("one regroup per kill, one for the join").isEqualTo(3);
        assertThat(ledger.restarts()).isZero();
        System.out.printf("recovery from memory after SIGKILL: %s s (kill to the first step completed after it, as the API saw it)%n",
                recoverySeconds);
    }

    /** The trainer node of rank {@code rank} in the run's current placement. */
    private NodeProcess trainerOf(JsonNode run, int rank) {
        String node = run.path("nodes").get(rank).asText().replaceFirst("^pekko://[^@]+@", "");
        return nodes.stream().filter(n -> n.address().equals(node)).findFirst()
                .orElseThrow(() -> new AssertionError("no node " + node + " among " + nodes.stream().map(NodeProcess::address).toList()));
    }

    private Map<Long, double[]> localRun() throws Exception {
        RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", RUN.toArray(String[]::new)));
        Path runDir = dir.resolve("local");
        try (TrainingData data = TrainingData.open(config.data(), config.train().seed(), Path.of(""))) {
            new Run(config, RunDirectory.create(runDir, config.render()), data).execute(line -> {});
        }
        assertThat(Files.exists(runDir.resolve("metrics.jsonl"))).isTrue();
        return ClusterApi.losses(runDir);
    }
}
