package ablate.cluster;

import ablate.cluster.demo.NodeJvm;
import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.run.Run;
import ablate.trainer.run.RunDirectory;
import ablate.trainer.run.RunLock;
import ablate.trainer.run.SampleLedger;
import ablate.trainer.run.TrainingData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster end to end, with every node a JVM of its own on 127.0.0.1: a coordinator and three
 * trainers. The project's signature property: a run's losses and validation losses are bitwise
 * the same on 1, 2 and 3 trainers and in a local `ablate train` (with dropout and the prefix-LM
 * mask, whose random draws are seeded by global position), because gradients are summed exactly.
 * Also: the API refuses a missing or wrong token, and a config with an unknown key is refused with
 * the key and where it was set.
 */
class ClusterTrainingTest {
    private static final String TOKEN = "cluster-test-token-7d1e2f";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** debug with 4 micro-batches per step (so 3 trainers share a step 1 + 1 + 2), dropout and the prefix mask. */
    private static final List<String> RUN = List.of("train.steps=12", "train.threads=1", "train.micro-batch-size=4",
            "model.dropout=0.1", "model.attention-mask=prefix", "train.eval-interval=4", "checkpoint.interval=5",
            "data.builtin.train-documents=2000");

    @TempDir
    static Path dir;
    private static final List<NodeJvm> nodes = new ArrayList<>();
    private static String api;

    @BeforeAll
    static void startCluster() throws Exception {
        List<String> env = List.of("ABLATE_TOKEN=" + TOKEN);
        String storage = "cluster.storage=" + dir.resolve("runs");
        NodeJvm coordinator = NodeProcess.start(dir.resolve("coordinator.log"), env, "--role", "coordinator", "--http-port", "0",
                "--data-dir", dir.resolve("coordinator").toString(), "--set", storage);
        nodes.add(coordinator);
        api = coordinator.api();
        for (int i = 0; i < 3; i++) {
            nodes.add(NodeProcess.start(dir.resolve("trainer-" + i + ".log"), env, "--role", "trainer", "--seed", coordinator.address(),
                    "--data-dir", dir.resolve("trainer-" + i).toString(), "--set", storage));
        }
        awaitTrainers(3);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (NodeJvm n : nodes.reversed()) {
            n.close();
        }
    }

    @Test
    void lossesAreBitwiseTheSameOnOneTwoAndThreeTrainersAsLocally() throws Exception {
        Map<Long, double[]> local = localRun();
        for (int trainers = 1; trainers <= 3; trainers++) {
            List<String> set = new ArrayList<>(RUN);
            set.add("cluster.data-parallel=" + trainers);
            JsonNode submitted = submit("dp" + trainers, "debug", set);
            assertThat(submitted.get("state").asText()).isIn("queued", "running");
        }
        for (int trainers = 1; trainers <= 3; trainers++) {
            JsonNode run = awaitEnd("dp" + trainers, Duration.ofMinutes(5));
            assertThat(run.get("state").asText()).as("dp%d: %s", trainers, run).isEqualTo("finished");
            assertThat(run.get("committed_step").asLong()).isEqualTo(12);
            assertThat(run.get("nodes")).hasSize(trainers);
            Map<Long, double[]> clustered = losses(dir.resolve("runs/dp" + trainers));
            assertThat(clustered.keySet()).containsExactlyElementsOf(local.keySet());
            for (long step : local.keySet()) {
                assertThat(clustered.get(step)).as("%d trainers, step %d: loss and val loss", trainers, step)
                        .containsExactly(local.get(step));
            }
            Path lock = dir.resolve("runs/dp" + trainers + "/" + RunLock.FILE);
            assertThat(lock).as("rank 0 took the run folder's lock").exists();
            assertThat(Files.readString(lock)).as("and released it when the run ended").isEmpty();
            SampleLedger.Verdict ledger = SampleLedger.check(dir.resolve("runs/dp" + trainers + "/" + SampleLedger.FILE));
            assertThat(ledger.problem()).as("dp%d's sample ledger", trainers).isEmpty();
            assertThat(ledger.steps()).isEqualTo(12);
            try (var listing = Files.list(dir.resolve("runs/dp" + trainers + "/checkpoints"))) {
                assertThat(listing.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("step-00000005", "step-00000010", "step-00000012");
            }
        }
    }

    @Test
    void theApiRefusesAMissingOrWrongToken() throws Exception {
        for (String route : List.of("/api/runs", "/api/nodes", "/metrics")) {
            assertThat(request("GET", route, "", "").statusCode()).as(route + " without a token").isEqualTo(401);
            assertThat(request("GET", route, "", "Bearer not-the-token-at-all").statusCode()).as(route + " with a wrong token").isEqualTo(401);
            assertThat(request("GET", route, "", "Bearer " + TOKEN).statusCode()).as(route).isEqualTo(200);
        }
        assertThat(request("POST", "/api/runs", "{\"preset\": \"debug\"}", "").statusCode()).isEqualTo(401);
        for (NodeJvm n : nodes) {
            assertThat(Files.readString(n.log())).as("the token in %s", n.log()).doesNotContain(TOKEN);
        }
    }

    @Test
    void aConfigWithAnUnknownKeyIsRefusedWithTheKeyAndWhereItWasSet() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("name", "typo").put("preset", "debug");
        body.putArray("files").addObject().put("name", "study/base.conf").put("text", "model {\n  layers = 2\n  positon = alibi\n}\n");
        HttpResponse<String> refused = request("POST", "/api/runs", body.toString(), "Bearer " + TOKEN);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).get("error").asText())
                .contains("model.positon").contains("study/base.conf:3").contains("did you mean 'model.position'");
        HttpResponse<String> badValue = request("POST", "/api/runs", "{\"preset\": \"debug\", \"set\": [\"train.micro-batch-size=5\"]}",
                "Bearer " + TOKEN);
        assertThat(badValue.statusCode()).isEqualTo(400);
        assertThat(badValue.body()).contains("train.micro-batch-size").contains("--set train.micro-batch-size=5");
        HttpResponse<String> noMeaning = request("POST", "/api/runs", "{\"preset\": \"debug\", \"set\": [\"model.architecture=encoder-decoder\","
                + " \"model.parallel-residual=on\"]}", "Bearer " + TOKEN);
        assertThat(noMeaning.statusCode()).as("refused at submit, not by the trainers").isEqualTo(400);
        assertThat(noMeaning.body()).contains("model.parallel-residual").contains("has no meaning for an encoder-decoder");
        assertThat(request("GET", "/api/runs/typo", "", "Bearer " + TOKEN).statusCode()).as("nothing was created").isEqualTo(404);
    }

    /** SIGTERM makes a node leave the cluster and exit: the coordinator lists it as gone within seconds, not after a failure timeout. */
    @Test
    void aModelTooLargeForATrainersMemoryFailsTheRunWithTheEstimate() throws Exception {
        submit("huge", "176b", List.of("train.threads=1", "cluster.data-parallel=1"));
        JsonNode run = awaitEnd("huge", Duration.ofMinutes(2));
        assertThat(run.get("state").asText()).as("%s", run).isEqualTo("failed");
        assertThat(run.get("error").asText()).contains("this model needs about").contains("to train (")
                .contains("and this machine has");
        assertThat(dir.resolve("runs/huge/metrics.jsonl")).doesNotExist();
    }

    @Test
    void aTrainerStopsCleanlyOnSigterm() throws Exception {
        NodeJvm extra = NodeProcess.start(dir.resolve("trainer-extra.log"), List.of("ABLATE_TOKEN=" + TOKEN), "--role", "trainer",
                "--seed", nodes.getFirst().address(), "--data-dir", dir.resolve("trainer-extra").toString());
        try {
            String node = "pekko://ablate@" + extra.address();
            long heard = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!request("GET", "/api/nodes", "", "Bearer " + TOKEN).body().contains("\"node\":\"" + node + "\",\"role\":\"trainer\","
                    + "\"host\":\"127.0.0.1\"") && System.nanoTime() < heard) {
                Thread.sleep(100); // until its first heartbeat
            }
            long start = System.nanoTime();
            extra.signal("TERM");
            assertThat(extra.awaitExit(Duration.ofSeconds(30))).as("exit code after SIGTERM").isIn(0, 143);
            double exitSeconds = (System.nanoTime() - start) / 1e9;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean gone = false;
            JsonNode listed = JSON.createArrayNode();
            while (!gone && System.nanoTime() < deadline) {
                listed = JSON.readTree(request("GET", "/api/nodes", "", "Bearer " + TOKEN).body());
                for (JsonNode n : listed) {
                    gone |= n.get("node").asText().equals(node) && !n.get("reachable").asBoolean();
                }
                Thread.sleep(100);
            }
            assertThat(gone).as("the coordinator lists %s as gone (it exited %.1f s after SIGTERM): %s", node, exitSeconds, listed).isTrue();
            assertThat(Files.readString(extra.log())).contains("Exiting completed", "Successfully shut down");
        } finally {
            extra.close();
        }
    }

    /** Step -> (loss, val loss or NaN) of a local `ablate train` of the same config. */
    private static Map<Long, double[]> localRun() throws Exception {
        RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", RUN.toArray(String[]::new)));
        Path runDir = dir.resolve("local");
        try (TrainingData data = TrainingData.open(config.data(), config.train().seed(), Path.of(""))) {
            new Run(config, RunDirectory.create(runDir, config.render()), data).execute(line -> {});
        }
        return losses(runDir);
    }

    private static Map<Long, double[]> losses(Path runDir) throws Exception {
        Map<Long, double[]> out = new TreeMap<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonNode m = JSON.readTree(line);
            out.put(m.get("step").asLong(), new double[] {m.get("loss").asDouble(), m.has("val_loss") ? m.get("val_loss").asDouble() : Double.NaN});
        }
        return out;
    }

    private static JsonNode submit(String name, String preset, List<String> set) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("preset", preset);
        set.forEach(body.putArray("set")::add);
        HttpResponse<String> response = request("POST", "/api/runs", body.toString(), "Bearer " + TOKEN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static JsonNode awaitEnd(String name, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            JsonNode run = JSON.readTree(request("GET", "/api/runs/" + name, "", "Bearer " + TOKEN).body());
            String state = run.path("state").asText();
            if (List.of("finished", "failed", "cancelled", "paused").contains(state) || System.nanoTime() > deadline) {
                return run;
            }
            Thread.sleep(250);
        }
    }

    private static void awaitTrainers(int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = request("GET", "/api/nodes", "", "Bearer " + TOKEN);
            if (r.statusCode() == 200) {
                int trainers = 0;
                for (JsonNode n : JSON.readTree(r.body())) {
                    trainers += n.path("role").asText().equals("trainer") ? 1 : 0;
                }
                if (trainers >= count) {
                    return;
                }
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the trainers did not register with the coordinator within 60 s");
    }

    private static HttpResponse<String> request(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + api + path)).timeout(Duration.ofSeconds(30))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (!authorization.isEmpty()) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
