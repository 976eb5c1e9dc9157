package ablate.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.run.Trainer;
import ablate.trainer.run.TrainingData;
import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk while writing names the file and costs nothing already written. A test cannot fill
 * the disk, so the real ENOSPC comes from Linux's {@code /dev/full} through the one write loop every
 * checkpoint, run and results file goes through ({@link Durable#writeFully}); that checkpoint writes
 * fail cleanly is shown with a failure in the middle of one (a real mid-write I/O error in another
 * JVM: {@code ablate.trainer.run.FailedCheckpointTest}).
 */
class FullDiskTest {
    private static final Path FULL = Path.of("/dev/full");

    @TempDir
    Path tmp;

    @Test
    void writingToAFullDeviceSaysNoSpaceLeftAndNamesTheFile() throws IOException {
        assumeTrue(Files.isWritable(FULL), "NOT RUN: " + FULL + " is not here (Linux only); a full disk cannot be made otherwise");
        try (FileChannel channel = FileChannel.open(FULL, StandardOpenOption.WRITE)) {
            assertThatThrownBy(() -> Durable.writeFully(channel, ByteBuffer.allocate(1 << 16), FULL))
                    .isInstanceOfSatisfying(WriteFailedException.class, e -> {
                        assertThat(e.diskFull()).isTrue();
                        assertThat(e.file()).isEqualTo(FULL);
                    })
                    .hasMessage("no space left on device writing /dev/full");
        }
    }

    @Test
    void otherWriteFailuresNameTheFileAndTheirReason() {
        Path file = tmp.resolve("missing-folder/state.json");
        assertThatThrownBy(() -> Durable.writeBytes(file, new byte[] {1}))
                .isInstanceOfSatisfying(WriteFailedException.class, e -> assertThat(e.diskFull()).isFalse())
                .hasMessageStartingWith("cannot write " + file + ": ");
    }

    @Test
    void aCheckpointThatFailsHalfWayLeavesThePreviousOneIntactAndNoUnfinishedFolder() throws IOException {
        RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", "train.steps=2", "train.threads=2",
                "data.builtin.train-documents=2000"));
        Checkpoints checkpoints = new Checkpoints(tmp, 10);
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer t = new Trainer(config, data)) {
            t.step();
            checkpoints.save(t.checkpointContents(config.render(), List.of()));
            t.step();
            Checkpoint.Contents contents = t.checkpointContents(config.render(), List.of());
            Map<String, NDArray> optimizer = new LinkedHashMap<>(contents.optimizer());
            NDArray first = optimizer.values().iterator().next();
            optimizer.put("unwritable", first.toType(ai.djl.ndarray.types.DataType.INT32, false)); // fails after model.safetensors
            var failing = new Checkpoint.Contents(contents.model(), optimizer, contents.state(), contents.config(), contents.metrics());

            assertThatThrownBy(() -> checkpoints.save(failing)).hasMessageContaining("unwritable");
        }
        assertThat(tmp.resolve(".tmp-" + Checkpoints.name(2))).doesNotExist();
        assertThat(checkpoints.committed()).extracting(Checkpoint::step).containsExactly(1L);
        checkpoints.committed().getFirst().verify();
    }
}
