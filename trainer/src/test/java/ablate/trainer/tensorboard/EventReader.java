package ablate.trainer.tensorboard;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * ops/tensorboard/read-events.js run by Node.js: a reader of event files that shares no code with
 * ablate's writer (its own CRC32C, TFRecord framing and protobuf decoding), so a test that reads
 * back what ablate wrote checks the format, not the writer against itself. Tests that need it are
 * skipped, saying why, where {@code node} is not on the PATH.
 */
public final class EventReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventReader() {}

    /** What the reader printed: one JSON object per line on stdout, its complaints on stderr, its exit code. */
    public record Output(List<JsonNode> records, String errors, int exit) {
        /** The scalar records (those with a tag), in file order. */
        public List<JsonNode> scalars() {
            return records.stream().filter(r -> r.has("tag")).toList();
        }
    }

    /** Skips the calling test, loudly, when Node.js cannot be run. */
    public static void assumeNode() {
        boolean found;
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            found = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            found = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            found = false;
        }
        assumeTrue(found, "node is not on the PATH: the independent event-file reader (ops/tensorboard/read-events.js) cannot run,"
                + " so this check of the TensorBoard files is skipped");
    }

    /** Runs the reader on files or folders. */
    public static Output read(Path... paths) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", script().toString()));
        for (Path p : paths) {
            command.add(p.toString());
        }
        Process p = new ProcessBuilder(command).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "cannot read the reader's stderr: " + e;
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("read-events.js did not finish in 60 s");
        }
        List<JsonNode> records = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                records.add(JSON.readTree(line));
            }
        }
        return new Output(records, err.join(), p.exitValue());
    }

    /** The script, found from the module folder the tests run in upwards. */
    public static Path script() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("ops/tensorboard/read-events.js");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        throw new AssertionError("ops/tensorboard/read-events.js not found above " + Path.of("").toAbsolutePath());
    }
}
