package ablate.cluster;

import ablate.cluster.demo.NodeJvm;
import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    private final List<NodeJvm> nodes = new ArrayList<>();

    @AfterEach
    void stopCluster() throws Exception {
        for (NodeJvm n : nodes.reversed()) {
            n.close();
        }
    }

    private ClusterApi startCluster(int trainers) throws Exception {
        return startCluster(trainers, List.of());
    }

    /** A coordinator and {@code trainers} trainers, each node with {@code env} (fault injection) added. */
    private ClusterApi startCluster(int trainers, List<String> env) throws Exception {
        NodeJvm coordinator = startCoordinator(env);
        for (int i = 0; i < trainers; i++) {
            startTrainer(i, env, coordinator.address());
        }
        ClusterApi api = new ClusterApi(coordinator.api(), TOKEN);
        api.awaitTrainers(trainers);
        return api;
    }

    /** The coordinator; with seeds it joins their cluster (a restart), without it forms one. */
    private NodeJvm startCoordinator(List<String> env, String... seeds) throws Exception {
        List<String> args = new ArrayList<>(List.of("--role", "coordinator", "--http-port", "0", "--data-dir",
                dir.resolve("coordinator").toString(), "--set", "cluster.storage=" + dir.resolve("runs")));
        for (String seed : seeds) {
            args.addAll(List.of("--seed", seed));
        }
        NodeJvm coordinator = NodeProcess.start(dir.resolve("coordinator-" + nodes.size() + ".log"), environment(env),
                args.toArray(String[]::new));
        nodes.add(coordinator);
        return coordinator;
    }

    private NodeJvm startTrainer(int i, List<String> env, String seed) throws Exception {
        NodeJvm trainer = NodeProcess.start(dir.resolve("trainer-" + i + "-" + nodes.size() + ".log"), environment(env), "--role",
                "trainer", "--seed", seed, "--data-dir", dir.resolve("trainer-" + i).toString(), "--set",
                "cluster.storage=" + dir.resolve("runs"));
        nodes.add(trainer);
        return trainer;
    }

    private static List<String> environment(List<String> extra) {
        List<String> env = new ArrayList<>(extra);
        env.add("ABLATE_TOKEN=" + TOKEN);
        return env;
    }

    @Test
    void killedTrainersCostOnlyTheStepInFlightASpareJoinsAtTheNextCheckpointAndTheLossesStayExact() throws Exception {
        Map<Long, double[]> expected = localRun();
        ClusterApi api = startCluster(4); // 3 for the run, 1 spare
        submit(api, 3);

        List<Double> recoverySeconds = new ArrayList<>();
        long earliest = 12;
        for (int kill = 0; kill < 2; kill++) {
            long killAt = earliest;
            JsonNode before = api.await("chaos", r -> r.path("step").asLong() >= killAt && r.path("trainers").asInt() == 3
                    || r.path("state").asText().matches("finished|failed"), Duration.ofMinutes(3));
            assertThat(before.path("state").asText()).as("running on 3 trainers when kill %d comes: %s", kill, before).isEqualTo("running");
            NodeJvm victim = trainerOf(before, kill == 0 ? 1 : 0);
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

    /** Submits the test's run (RUN) on {@code trainers} trainers. */
    private static void submit(ClusterApi api, int trainers) throws Exception {
        List<String> set = new ArrayList<>(RUN);
        set.add("cluster.data-parallel=" + trainers);
        api.submit("chaos", "debug", set);
    }

    /** Waits until {@code until} holds or the run ends, and asserts that it is still running then. */
    private static JsonNode awaitRunning(ClusterApi api, java.util.function.Predicate<JsonNode> until, Duration within) throws Exception {
        JsonNode run = api.await("chaos", r -> until.test(r) || r.path("state").asText().matches("finished|failed"), within);
        assertThat(run.path("state").asText()).as("%s", run).isEqualTo("running");
        return run;
    }

    /** Waits for a file to appear (a checkpoint being written), polling every millisecond. */
    private static void awaitFile(Path file, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " did not appear within " + within);
            }
            Thread.sleep(1);
        }
    }

    /** The run's losses equal the undisturbed local run's, bitwise, and its ledger is clean. */
    private SampleLedger.Verdict assertExact(Map<Long, double[]> expected, String what) throws Exception {
        Path runDir = dir.resolve("runs/chaos");
        Map<Long, double[]> clustered = ClusterApi.losses(runDir);
        assertThat(clustered.keySet()).containsExactlyElementsOf(expected.keySet());
        for (long step : expected.keySet()) {
            assertThat(clustered.get(step)).as("step %d %s: loss and val loss", step, what).containsExactly(expected.get(step));
        }
        SampleLedger.Verdict ledger = SampleLedger.check(runDir.resolve(SampleLedger.FILE));
        assertThat(ledger.problem()).isEmpty();
        assertThat(ledger.steps()).isEqualTo(90);
        try (var left = Files.list(runDir.resolve("checkpoints"))) {
            assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList())
                    .as("no half-written checkpoint left in checkpoints/").isEmpty();
        }
        return ledger;
    }

    /**
     * Rank 0 is killed while it writes the checkpoint of step 60 (a stall injected after the model
     * file): the half-written folder is never committed, the checkpoint of step 30 stays intact,
     * the survivors write step 60 again from memory and the run ends exact.
     */
    @Test
    void aKillDuringACheckpointWriteCommitsNothingHalfWrittenAndThePreviousCheckpointStaysIntact() throws Exception {
        Map<Long, double[]> expected = localRun();
        ClusterApi api = startCluster(3, List.of(Checkpoints.STALL_ENV + "=3000"));
        submit(api, 3);
        Path checkpoints = dir.resolve("runs/chaos/checkpoints");
        awaitFile(checkpoints.resolve(".tmp-step-00000060").resolve(Checkpoint.MODEL), Duration.ofMinutes(3));
        JsonNode writing = api.run("chaos");
        trainerOf(writing, 0).signal("KILL");
        new Checkpoint(checkpoints.resolve("step-00000030"), 30).verify(); // the committed one, untouched
        assertThat(checkpoints.resolve("step-00000060")).as("a half-written checkpoint is not renamed into place").doesNotExist();

        JsonNode end = api.awaitEnd("chaos", Duration.ofMinutes(3));
        assertThat(end.path("state").asText()).as("%s", end).isEqualTo("finished");
        SampleLedger.Verdict ledger = assertExact(expected, "after a SIGKILL in a checkpoint write");
        assertThat(ledger.regroups()).as("the survivors went on from memory").isEqualTo(1);
        assertThat(ledger.restarts()).isZero();
        new Checkpoint(checkpoints.resolve("step-00000060"), 60).verify(); // written again by the new rank 0
    }

    /**
     * Rank 0 dies right after applying step 30 (committed on every rank) and before writing its
     * metrics line and running the due validation, or between that line and the step's ledger line
     * (a CI run once caught a SIGKILL there: the ledger read "regroup at step 49 but the run stands
     * at step 48"): the survivors stand at step 30 too, and the new rank 0 writes what is missing,
     * validation loss included, from its own replica, each file once.
     */
    @ParameterizedTest
    @ValueSource(strings = {"30:0", "30:0:metrics"})
    void rank0DyingBetweenACommittedStepAndItsLinesLeavesThemToTheNextRank0(String haltAt) throws Exception {
        Map<Long, double[]> expected = localRun();
        ClusterApi api = startCluster(3, List.of("ABLATE_CHAOS_HALT_AFTER_STEP=" + haltAt));
        submit(api, 3);
        JsonNode end = api.awaitEnd("chaos", Duration.ofMinutes(4));
        assertThat(end.path("state").asText()).as("%s", end).isEqualTo("finished");
        SampleLedger.Verdict ledger = assertExact(expected, "after rank 0 died between the commit of step 30 and its lines (" + haltAt + ")");
        assertThat(ledger.regroups()).isEqualTo(1);
        assertThat(ledger.restarts()).isZero();
        assertThat(nodes.stream().filter(n -> !n.alive()).count()).as("the rank 0 of step 30 died").isEqualTo(1);
    }

    /**
     * The coordinator is killed mid-run and started again (same journal, joining through a
     * trainer): it replays the journal and the run resumes from its last committed checkpoint on
     * the same trainers, ending exact.
     */
    @Test
    void aKilledCoordinatorComesBackFromItsJournalAndTheRunEndsExact() throws Exception {
        Map<Long, double[]> expected = localRun();
        ClusterApi api = startCluster(2);
        submit(api, 2);
        JsonNode before = awaitRunning(api, r -> r.path("step").asLong() >= 40, Duration.ofMinutes(3));
        NodeJvm old = nodes.getFirst();
        old.signal("KILL");
        assertThat(old.awaitExit(Duration.ofSeconds(10))).isNotEqualTo(-1);
        NodeJvm coordinator = startCoordinator(List.of(), nodes.get(1).address());
        ClusterApi again = new ClusterApi(coordinator.api(), TOKEN);

        JsonNode end = again.awaitEnd("chaos", Duration.ofMinutes(4));
        assertThat(end.path("state").asText()).as("%s", end).isEqualTo("finished");
        SampleLedger.Verdict ledger = assertExact(expected, "after the coordinator's SIGKILL");
        assertThat(ledger.restarts()).as("resumed once, from the committed checkpoint of step 30").isEqualTo(1);
    }

    /**
     * Every JVM is killed while rank 0 writes a checkpoint, then the nodes are started again: the
     * coordinator picks the unfinished run up from its last committed checkpoint by itself, and the
     * half-written one is moved aside, never used.
     */
    @Test
    void aWholeClusterKilledInACheckpointWriteResumesFromTheLastCommittedOneWhenStartedAgain() throws Exception {
        Map<Long, double[]> expected = localRun();
        List<String> stall = List.of(Checkpoints.STALL_ENV + "=3000");
        ClusterApi api = startCluster(2, stall);
        submit(api, 2);
        Path checkpoints = dir.resolve("runs/chaos/checkpoints");
        awaitFile(checkpoints.resolve(".tmp-step-00000060").resolve(Checkpoint.MODEL), Duration.ofMinutes(3));
        for (NodeJvm n : nodes) {
            n.signal("KILL");
        }
        for (NodeJvm n : nodes) {
            assertThat(n.awaitExit(Duration.ofSeconds(10))).isNotEqualTo(-1);
        }
        nodes.clear();
        NodeJvm coordinator = startCoordinator(List.of());
        for (int i = 0; i < 2; i++) {
            startTrainer(i, List.of(), coordinator.address());
        }
        ClusterApi again = new ClusterApi(coordinator.api(), TOKEN);
        JsonNode end = again.awaitEnd("chaos", Duration.ofMinutes(4));
        assertThat(end.path("state").asText()).as("%s", end).isEqualTo("finished");
        SampleLedger.Verdict ledger = assertExact(expected, "after every JVM was killed");
        assertThat(ledger.restarts()).as("resumed once, from the checkpoint of step 30").isEqualTo(1);
    }

    /**
     * Rank 0 is frozen (SIGSTOP) past the failure detector and the split-brain resolver's
     * stable-after: the majority downs it and goes on from memory; when it runs again (SIGCONT) it
     * finds itself downed and exits without writing anything, so two groups never train one run.
     */
    @Test
    void aTrainerCutOffByAPartitionIsDownedStopsAndTheRestGoOnExact() throws Exception {
        Map<Long, double[]> expected = localRun();
        ClusterApi api = startCluster(3);
        submit(api, 3);
        JsonNode before = awaitRunning(api, r -> r.path("step").asLong() >= 12, Duration.ofMinutes(3));
        NodeJvm frozen = trainerOf(before, 0);
        long stepAtStop = before.path("step").asLong();
        frozen.signal("STOP");
        awaitRunning(api, r -> r.path("trainers").asInt() == 2 && r.path("step").asLong() > stepAtStop + 1, Duration.ofMinutes(2));
        Thread.sleep(15_000); // well past stable-after (7 s): the resolver has downed it
        frozen.signal("CONT");
        assertThat(frozen.awaitExit(Duration.ofSeconds(60))).as("the downed trainer exits once it runs again; its log: %s",
                frozen.log()).isNotEqualTo(-1);

        JsonNode end = api.awaitEnd("chaos", Duration.ofMinutes(3));
        assertThat(end.path("state").asText()).as("%s", end).isEqualTo("finished");
        SampleLedger.Verdict ledger = assertExact(expected, "after rank 0 was cut off");
        assertThat(ledger.regroups()).isEqualTo(1);
        assertThat(ledger.restarts()).isZero();
    }

    /**
     * A trainer node gets SIGTERM (a scheduler's preemption): its group checkpoints at the step it
     * reaches and goes on from memory without it, and the node exits once released. Then the kill
     * switch file in the run folder pauses the run at a fresh checkpoint; resume finishes it. No
     * completed step is computed twice, and the losses stay exact.
     */
    @Test
    void sigtermDrainsATrainerAndTheKillSwitchPausesTheRunWithNothingLost() throws Exception {
        Map<Long, double[]> expected = localRun();
        ClusterApi api = startCluster(3);
        submit(api, 3);
        JsonNode before = awaitRunning(api, r -> r.path("step").asLong() >= 12, Duration.ofMinutes(3));
        NodeJvm drained = trainerOf(before, 2);
        drained.signal("TERM");
        JsonNode after = awaitRunning(api, r -> r.path("trainers").asInt() == 2, Duration.ofMinutes(2));
        assertThat(after.path("committed_step").asLong()).as("checkpointed where the group went on without it: %s", after)
                .isEqualTo(after.path("step").asLong());
        // 143: the JVM's status after SIGTERM once its shutdown hooks (the drain, the cluster leave) are done
        assertThat(drained.awaitExit(Duration.ofSeconds(60))).as("the drained node exits; its log: %s", drained.log()).isEqualTo(143);
        assertThat(Files.readString(drained.log())).contains("draining group");

        Path runDir = dir.resolve("runs/chaos");
        JsonNode beforeSwitch = awaitRunning(api, r -> r.path("step").asLong() >= 40, Duration.ofMinutes(2));
        Files.writeString(runDir.resolve("kill-switch"), "");
        JsonNode paused = api.awaitEnd("chaos", Duration.ofMinutes(2));
        assertThat(paused.path("state").asText()).as("%s", paused).isEqualTo("paused");
        assertThat(paused.path("committed_step").asLong()).as("paused at a fresh checkpoint: %s", paused)
                .isEqualTo(paused.path("step").asLong()).isLessThan(90);
        assertThat(runDir.resolve("kill-switch")).as("removed once acted on, so that resume is not paused again").doesNotExist();
        assertThat(api.request("POST", "/api/runs/chaos/resume", "").statusCode()).isEqualTo(200);

        JsonNode end = api.awaitEnd("chaos", Duration.ofMinutes(3));
        assertThat(end.path("state").asText()).as("%s", end).isEqualTo("finished");
        SampleLedger.Verdict ledger = assertExact(expected, "after a drain and a kill switch");
        assertThat(ledger.regroups()).as("the drain").isEqualTo(1);
        assertThat(ledger.undoneSteps()).as("nothing computed twice").isZero();
    }

    /** The trainer node of rank {@code rank} in the run's current placement. */
    private NodeJvm trainerOf(JsonNode run, int rank) {
        String node = run.path("nodes").get(rank).asText().replaceFirst("^pekko://[^@]+@", "");
        return nodes.stream().filter(n -> n.address().equals(node)).findFirst()
                .orElseThrow(() -> new AssertionError("no node " + node + " among " + nodes.stream().map(NodeJvm::address).toList()));
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
