package ablate.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.data.InvalidFileException;
import ablate.trainer.run.Trainer;
import ablate.trainer.run.TrainingData;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A checkpoint whose manifest or weight files cannot be trusted is, on resume, set aside as
 * {@code .corrupt} with a message naming the file, and the previous one is used; nothing crashes.
 */
class DamagedCheckpointTest {
    @TempDir
    Path tmp;

    private final RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", "train.steps=2", "train.threads=2",
            "data.builtin.train-documents=2000"));

    @FunctionalInterface
    interface Damage {
        /** Damages checkpoint folder {@code dir}; returns the file the message must name. */
        Path apply(Path dir) throws IOException;
    }

    static Stream<Arguments> damages() {
        return Stream.of(
                Arguments.of("a manifest entry without its checksum", (Damage) dir -> editManifest(dir,
                        files -> ((ObjectNode) files.get(Checkpoint.MODEL)).remove("sha256")),
                        "manifest.json lists model.safetensors without its checksum (\"sha256\": missing)"),
                Arguments.of("a manifest entry without its size", (Damage) dir -> editManifest(dir,
                        files -> ((ObjectNode) files.get(Checkpoint.STATE)).put("bytes", "many")),
                        "manifest.json lists state.json without its size (\"bytes\": \"many\")"),
                Arguments.of("a manifest listing a file that is not there", (Damage) dir -> {
                    Files.delete(dir.resolve(Checkpoint.OPTIMIZER));
                    return dir.resolve(Checkpoint.OPTIMIZER);
                }, "optimizer.safetensors is missing (manifest.json lists it)"),
                Arguments.of("a model header that is not JSON (checksums rewritten to match)", (Damage) dir -> rewrite(dir,
                        Checkpoint.MODEL, bytes -> bytes[8] = '#'), "model.safetensors: the header is not valid JSON"),
                Arguments.of("an optimizer header length beyond the file (checksums rewritten to match)", (Damage) dir -> rewrite(dir,
                        Checkpoint.OPTIMIZER, bytes -> ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40)),
                        "optimizer.safetensors: the header length 1099511627776 exceeds the"),
                Arguments.of("a model whose tensors run past its end (checksums rewritten to match)", (Damage) dir -> truncate(dir,
                        Checkpoint.MODEL), "which run past the end of the file's"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damages")
    void aDamagedCheckpointIsSetAsideNamingTheFileAndThePreviousOneResumes(String what, Damage damage, String problem)
            throws IOException {
        Checkpoints checkpoints = saveSteps(2);
        Path newest = checkpoints.committed().getLast().dir();
        Path named = damage.apply(newest);

        assertThatThrownBy(() -> new Checkpoint(newest, 2).verify()).isInstanceOf(InvalidFileException.class)
                .hasMessageContaining(named.toString()).hasMessageContaining(problem);

        Checkpoint used = checkpoints.recover().orElseThrow();
        assertThat(used.step()).isEqualTo(1);
        assertThat(newest).doesNotExist();
        assertThat(newest.resolveSibling(newest.getFileName() + ".corrupt")).isDirectory();
        assertThat(checkpoints.latestCommitted()).get().extracting(Checkpoint::step).isEqualTo(1L);
    }

    private Checkpoints saveSteps(int steps) throws IOException {
        Checkpoints checkpoints = new Checkpoints(tmp, 10);
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer t = new Trainer(config, data)) {
            for (int i = 0; i < steps; i++) {
                t.step();
                checkpoints.save(t.checkpointContents(config.render(), List.of()));
            }
        }
        return checkpoints;
    }

    @FunctionalInterface
    interface Edit<T> {
        void apply(T value) throws IOException;
    }

    private static Path editManifest(Path dir, Edit<ObjectNode> files) throws IOException {
        Path file = dir.resolve(Manifest.FILE);
        var mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(file.toFile());
        files.apply((ObjectNode) root.get("files"));
        Files.writeString(file, mapper.writeValueAsString(root));
        return file;
    }

    /** Changes a file's bytes and writes a manifest that matches, so that only reading the file can tell. */
    private static Path rewrite(Path dir, String name, Edit<byte[]> edit) throws IOException {
        Path file = dir.resolve(name);
        byte[] bytes = Files.readAllBytes(file);
        edit.apply(bytes);
        Files.write(file, bytes);
        resum(dir, name);
        return file;
    }

    private static Path truncate(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 64));
        resum(dir, name);
        return file;
    }

    private static void resum(Path dir, String name) throws IOException {
        Manifest old = Manifest.read(dir);
        Map<String, Manifest.FileSum> files = new HashMap<>(old.files());
        files.put(name, new Manifest.FileSum(Manifest.hash(dir.resolve(name)), Files.size(dir.resolve(name))));
        Files.delete(dir.resolve(Manifest.FILE));
        new Manifest(old.step(), files).write(dir);
    }
}
