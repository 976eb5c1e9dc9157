package ablate.cluster;

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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/** A test's client of a coordinator's HTTP API, and readers of what runs leave in their folders. */
public record ClusterApi(String address, String token) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public HttpResponse<String> request(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + address + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Submits a run of a preset with overrides; fails the test unless the coordinator accepts it. */
    public JsonNode submit(String name, String preset, List<String> set) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("preset", preset);
        set.forEach(body.putArray("set")::add);
        HttpResponse<String> response = request("POST", "/api/runs", body.toString());
        if (response.statusCode() != 200) {
            throw new AssertionError("submit of " + name + " refused: " + response.body());
        }
        return JSON.readTree(response.body());
    }

    public JsonNode run(String name) throws Exception {
        return JSON.readTree(request("GET", "/api/runs/" + name, "").body());
    }

    /** Polls the run until {@code until} holds or the deadline passes; returns its last state. */
    public JsonNode await(String name, Predicate<JsonNode> until, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            JsonNode run = run(name);
            if (until.test(run) || System.nanoTime() > deadline) {
                return run;
            }
            Thread.sleep(50);
        }
    }

    public JsonNode awaitEnd(String name, Duration within) throws Exception {
        return await(name, r -> List.of("finished", "failed", "cancelled", "paused").contains(r.path("state").asText()), within);
    }

    /** Waits until {@code count} trainers have sent a heartbeat. */
    public void awaitTrainers(int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = request("GET", "/api/nodes", "");
            if (r.statusCode() == 200) {
                int idle = 0;
                for (JsonNode n : JSON.readTree(r.body())) {
                    idle += n.path("role").asText().equals("trainer") && n.path("reachable").asBoolean() && !n.path("host").asText().isEmpty() ? 1 : 0;
                }
                if (idle >= count) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("fewer than " + count + " trainers registered with the coordinator within 60 s");
    }

    /** Step to (loss, val loss or NaN) from a run folder's metrics.jsonl. */
    public static Map<Long, double[]> losses(Path runDir) throws Exception {
        Map<Long, double[]> out = new TreeMap<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonNode m = JSON.readTree(line);
            out.put(m.get("step").asLong(), new double[] {m.get("loss").asDouble(), m.has("val_loss") ? m.get("val_loss").asDouble() : Double.NaN});
        }
        return out;
    }
}
