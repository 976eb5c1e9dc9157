package ablate.trainer.peak;

import ablate.trainer.data.InvalidFileException;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The peaks {@code ablate calibrate} measured on this machine, in one small JSON file
 * ({@value #FILE}: {@code {"peaks": [{device, processor, threads, dtype, libtorch, tflops,
 * min_tflops, max_tflops, runs, size, measured_at}, ...]}}), one entry per {@link PeakKey}. A
 * per-user cache rather than a setting because the figure belongs to the machine, not to a run.
 * Writes replace the file atomically, so a reader never sees half of one; of two calibrations
 * finishing at once the later write wins.
 */
public final class PeakCache {
    public static final String FILE = "peak.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    /** The cache in {@code directory} (made when the first peak is stored). */
    public PeakCache(Path directory) {
        this.file = directory.resolve(FILE);
    }

    /** This user's cache: see {@link #directory}. */
    public static PeakCache standard() {
        return new PeakCache(directory(System.getenv(), Path.of(System.getProperty("user.home"))));
    }

    /**
     * ABLATE_CACHE_DIR when set (tests point it at their own folder, so no result depends on what
     * this machine measured), else XDG_CACHE_HOME/ablate, else HOME/.cache/ablate (the XDG default).
     */
    static Path directory(Map<String, String> env, Path home) {
        String own = env.getOrDefault("ABLATE_CACHE_DIR", "");
        if (!own.isBlank()) {
            return Path.of(own);
        }
        String xdg = env.getOrDefault("XDG_CACHE_HOME", "");
        // the XDG spec: a relative path is invalid and is ignored
        return (!xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg) : home.resolve(".cache")).resolve("ablate");
    }

    public Path file() {
        return file;
    }

    /**
     * The peak measured for {@code key}, if any.
     *
     * @throws IOException when the file exists but cannot be read or is not a peak cache
     */
    public Optional<GemmPeak> find(PeakKey key) throws IOException {
        for (JsonNode entry : entries()) {
            if (matches(entry, key)) {
                return Optional.of(peakOf(entry));
            }
        }
        return Optional.empty();
    }

    /** Records {@code peak} for {@code key}, replacing what was measured for the same key before. */
    public void store(PeakKey key, GemmPeak peak) throws IOException {
        ArrayNode kept = JSON.createArrayNode();
        for (JsonNode entry : entries()) {
            if (!matches(entry, key)) {
                kept.add(entry);
            }
        }
        ObjectNode e = kept.addObject();
        e.put("device", key.device());
        e.put("processor", key.processor());
        e.put("threads", key.threads());
        e.put("dtype", key.dtypeName());
        e.put("libtorch", key.libtorch());
        e.put("tflops", peak.tflops());
        e.put("min_tflops", peak.minTflops());
        e.put("max_tflops", peak.maxTflops());
        e.put("runs", peak.runs());
        e.put("size", peak.size());
        e.put("measured_at", peak.measuredAt().toString());
        ObjectNode root = JSON.createObjectNode();
        root.set("peaks", kept);
        Files.createDirectories(file.getParent());
        Path temporary = Files.createTempFile(file.getParent(), FILE, ".tmp");
        try {
            Files.writeString(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private JsonNode entries() throws IOException {
        if (!Files.exists(file)) {
            return JSON.createArrayNode();
        }
        try {
            JsonNode peaks = JSON.readTree(file.toFile()).path("peaks");
            if (!peaks.isArray()) {
                throw new InvalidFileException(file + " has no \"peaks\" list; delete it and run `ablate calibrate` again");
            }
            return peaks;
        } catch (JacksonException e) {
            throw new InvalidFileException(file + " is not JSON (" + e.getOriginalMessage() + "); delete it and run `ablate calibrate` again", e);
        }
    }

    private static boolean matches(JsonNode e, PeakKey key) {
        return e.path("device").asText().equals(key.device()) && e.path("processor").asText().equals(key.processor())
                && e.path("threads").asInt(-1) == key.threads() && e.path("dtype").asText().equals(key.dtypeName())
                && e.path("libtorch").asText().equals(key.libtorch());
    }

    private static GemmPeak peakOf(JsonNode e) throws IOException {
        try {
            return new GemmPeak(e.path("tflops").asDouble(), e.path("min_tflops").asDouble(), e.path("max_tflops").asDouble(),
                    e.path("runs").asInt(), e.path("size").asInt(), Instant.parse(e.path("measured_at").asText()));
        } catch (RuntimeException damaged) {
            throw new InvalidFileException("an entry of the peak cache is damaged (" + damaged.getMessage() + "): " + e, damaged);
        }
    }
}
