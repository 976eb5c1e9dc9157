package ablate.cluster.dashboard;

import ablate.cluster.api.Json;
import ablate.conf.Settings;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
import ablate.trainer.run.MetricsLog;
import ablate.trainer.run.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.stream.Stream;

/**
 * Snapshots read from folders, for {@code ablate dashboard} after the cluster is gone: a run folder
 * (one run) or a study folder (its runs, named STUDY/RUN as the cluster names them). Only reads:
 * nothing here writes to, locks or moves anything in the folders. A run's state is "finished" when
 * its log reached train.steps and "stopped" otherwise (a folder cannot say whether it failed).
 */
public final class FolderSource implements Snapshot.Source {
    private final Path root;
    private final Executor blocking;
    /** train.steps per config file: read once, a finished run's config does not change. */
    private final Map<Path, Long> stepsByConfig = new ConcurrentHashMap<>();

    public FolderSource(Path root, Executor blocking) {
        this.root = root;
        this.blocking = blocking;
    }

    /** The runs under {@code root}: name to folder; fails when there is none. */
    public static Map<String, Path> runs(Path root) throws IOException {
        Map<String, Path> out = new java.util.LinkedHashMap<>();
        if (new RunDirectory(root).holdsRun()) {
            out.put(root.toAbsolutePath().normalize().getFileName().toString(), root);
            return out;
        }
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a folder");
        }
        String study = root.toAbsolutePath().normalize().getFileName().toString();
        try (Stream<Path> children = Files.list(root)) {
            for (Path child : children.sorted().toList()) {
                if (new RunDirectory(child).holdsRun()) {
                    out.put(study + "/" + child.getFileName(), child);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException(root + " holds no run (no " + RunDirectory.CONFIG + ") and no study (no subfolder with one)");
        }
        return out;
    }

    @Override
    public CompletionStage<Snapshot> take() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                ArrayNode runs = Json.MAPPER.createArrayNode();
                for (Map.Entry<String, Path> run : runs(root).entrySet()) {
                    runs.add(run(run.getKey(), run.getValue()));
                }
                return new Snapshot(runs, Json.MAPPER.createArrayNode(), false);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, blocking);
    }

    @Override
    public boolean live() {
        return false;
    }

    private ObjectNode run(String name, Path dir) throws IOException {
        long steps = steps(new RunDirectory(dir).config());
        List<JsonNode> tail = tail(dir.resolve(MetricsLog.FILE));
        JsonNode last = tail.isEmpty() ? Json.MAPPER.createObjectNode() : tail.getLast();
        JsonNode validated = tail.reversed().stream().filter(n -> n.path("val_loss").isNumber()).findFirst()
                .orElse(Json.MAPPER.createObjectNode());
        long step = last.path("step").asLong(0);
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("name", name);
        n.put("state", step >= steps ? "finished" : "stopped");
        n.put("step", step);
        n.put("steps", steps);
        n.put("trainers", 0);
        n.putArray("nodes");
        n.put("run_dir", dir.toAbsolutePath().toString());
        for (String key : List.of("loss", "tokens_per_s", "mfu")) {
            n.set(key, last.path(key).isNumber() ? last.get(key) : Json.MAPPER.nullNode());
        }
        n.set("val_loss", validated.path("val_loss").isNumber() ? validated.get("val_loss") : Json.MAPPER.nullNode());
        List<Checkpoint> committed = new Checkpoints(new RunDirectory(dir).checkpoints(), Integer.MAX_VALUE).committed();
        n.put("committed_step", committed.isEmpty() ? 0 : committed.getLast().step());
        n.put("restarts", 0);
        n.put("error", "");
        n.putObject("stragglers");
        return n;
    }

    private long steps(Path config) {
        return stepsByConfig.computeIfAbsent(config, c -> (long) Settings.parse(Settings.parseFile(c)).train().steps());
    }

    /** The complete lines of the last 64 KiB of a metrics log, oldest first (the line being written is left out). */
    private static List<JsonNode> tail(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long size = in.length();
            int n = (int) Math.min(size, 65_536);
            byte[] bytes = new byte[n];
            in.seek(size - n);
            in.readFully(bytes);
            for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    try {
                        out.add(Json.MAPPER.readTree(line));
                    } catch (IOException partial) {
                        // the chunk's cut first line, or the line being written
                    }
                }
            }
            return out;
        }
    }
}
