package ablate.evaluator.run;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ops/tensorboard/read-events.js run by Node.js, the reader that shares no code with ablate's
 * writer (the trainer's tests have the same helper; test classes do not cross modules here).
 */
final class EventReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventReader() {}

    record Output(List<JsonNode> records, String errors, int exit) {
        List<JsonNode> scalars() {
            return records.stream().filter(r -> r.has("tag")).toList();
        }
    }

    /** Skips the calling test, loudly, when Node.js cannot be run. */
    static void assumeNode() {
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

    static Output read(Path path, Path errors) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("node", script().toString(), path.toString()).redirectError(errors.toFile()).start();
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
        return new Output(records, Files.readString(errors), p.exitValue());
    }

    private static Path script() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("ops/tensorboard/read-events.js");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        throw new AssertionError("ops/tensorboard/read-events.js not found above " + Path.of("").toAbsolutePath());
    }
}
