package ablate.trainer.run;

import ablate.trainer.checkpoint.Durable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * A run's folder: {@code config.conf} (the resolved config), {@code metrics.jsonl} and
 * {@code checkpoints/}. A folder with config.conf holds a run that can be resumed.
 */
public record RunDirectory(Path path) {
    public static final String CONFIG = "config.conf";

    public Path config() {
        return path.resolve(CONFIG);
    }

    public Path checkpoints() {
        return path.resolve("checkpoints");
    }

    /** The folder of checkpoint {@code step} (whether or not it exists). */
    public Path checkpoint(long step) {
        return checkpoints().resolve(ablate.trainer.checkpoint.Checkpoints.name(step));
    }

    /** True when the folder holds a run (its config.conf). */
    public boolean holdsRun() {
        return Files.isRegularFile(config());
    }

    /**
     * Makes the folder of a new run and writes its config durably. Refuses a folder that exists and
     * holds anything, so that nothing there is overwritten.
     */
    public static RunDirectory create(Path path, String resolvedConfig) throws IOException {
        if (Files.exists(path)) {
            if (!Files.isDirectory(path)) {
                throw new ablate.trainer.data.InvalidFileException("--run-dir " + path + " is a file, not a folder");
            }
            try (Stream<Path> s = Files.list(path)) {
                if (s.findAny().isPresent()) {
                    throw new ablate.trainer.data.InvalidFileException("--run-dir " + path + " is not empty and holds no run (no " + CONFIG
                            + "); choose a new folder");
                }
            }
        }
        Files.createDirectories(path);
        RunDirectory dir = new RunDirectory(path);
        dir.writeConfig(resolvedConfig);
        return dir;
    }

    /** Replaces config.conf atomically (a resumed run that extends train.steps, say). */
    public void writeConfig(String resolvedConfig) throws IOException {
        Path tmp = path.resolve(CONFIG + ".tmp");
        Files.deleteIfExists(tmp);
        Durable.writeBytes(tmp, resolvedConfig.getBytes(StandardCharsets.UTF_8));
        Files.move(tmp, config(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Durable.syncDirectory(path);
    }
}
