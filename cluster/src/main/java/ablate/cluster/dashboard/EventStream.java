package ablate.cluster.dashboard;

import ablate.cluster.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The live feed of one open page, as server-sent events: every {@code every} a "snapshot" event with
 * the runs and nodes, and the metrics lines the page's runs logged since the previous event
 * ({@code logs: {RUN: {lines, next, reset}}}). A snapshot that cannot be taken (the coordinator did
 * not answer) becomes an {@code error} field, and the feed goes on: a page stays open across a
 * coordinator failover. Ticks the page is too slow to take are dropped, never queued.
 */
final class EventStream {
    /** Lines per run per event at most: a long history arrives over a few events. */
    static final int MAX_LINES = 5000;

    private final Snapshot.Source source;
    private final Predicate<String> followed;
    private final Executor blocking;
    /** Touched by one event at a time (mapAsync(1)), each after the previous completed. */
    private final Map<String, MetricsTail> tails = new HashMap<>();

    /** {@code followed}: the runs whose metrics the page draws (one run, or a study's). */
    private EventStream(Snapshot.Source source, Predicate<String> followed, Executor blocking) {
        this.source = source;
        this.followed = followed;
        this.blocking = blocking;
    }

    static Source<ServerSentEvent, NotUsed> of(Snapshot.Source source, Predicate<String> followed, Duration every, Executor blocking) {
        return Source.lazySource(() -> {
            EventStream stream = new EventStream(source, followed, blocking);
            return Source.tick(Duration.ZERO, every, "tick")
                    .mapAsync(1, tick -> stream.next())
                    .map(json -> ServerSentEvent.create(json.toString(), "snapshot"));
        }).mapMaterializedValue(m -> NotUsed.getInstance());
    }

    private java.util.concurrent.CompletionStage<ObjectNode> next() {
        return source.take().thenApplyAsync(this::event, blocking).exceptionally(e -> {
            ObjectNode out = Json.MAPPER.createObjectNode();
            out.put("live", source.live());
            out.put("time", Instant.now().toString());
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            out.put("error", source.live() ? "the coordinator did not answer (" + cause.getMessage() + "); is a coordinator node up?"
                    : "cannot read the folders: " + cause.getMessage());
            return out;
        });
    }

    private ObjectNode event(Snapshot snapshot) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("live", snapshot.live());
        out.put("time", Instant.now().toString());
        out.set("runs", snapshot.runs());
        out.set("nodes", snapshot.nodes());
        ObjectNode logs = out.putObject("logs");
        for (JsonNode run : snapshot.runs()) {
            String name = run.path("name").asText();
            if (!followed.test(name) || run.path("run_dir").asText().isEmpty()) {
                continue;
            }
            MetricsTail tail = tails.computeIfAbsent(name, n -> new MetricsTail(Path.of(run.path("run_dir").asText())));
            ObjectNode log = logs.putObject(name);
            try {
                MetricsTail.Batch batch = tail.read(MAX_LINES);
                log.putArray("lines").addAll(batch.lines());
                log.put("next", batch.next());
                log.put("reset", batch.reset());
            } catch (IOException e) {
                log.put("error", "cannot read the metrics of " + name + ": " + e.getMessage());
            }
        }
        return out;
    }
}
