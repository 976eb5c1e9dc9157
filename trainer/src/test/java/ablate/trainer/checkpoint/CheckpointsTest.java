package ablate.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.run.Trainer;
import ablate.trainer.run.TrainingData;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
    @TempDir
    Path tmp;

    private final RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", "train.steps=4", "train.threads=2",
            "data.builtin.train-documents=2000"));

    @Test
    void aRestoredTrainerContinuesWithTheSameLosses() throws IOException {
        Checkpoints checkpoints = new Checkpoints(tmp, 3);
        double[] expected = new double[2];
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer a = new Trainer(config, data)) {
            a.step();
            checkpoints.save(a.checkpointContents(config.render(), List.of("{\"step\":1}")));
            expected[0] = a.step().loss();
            expected[1] = a.step().loss();
        }
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer b = new Trainer(config, data)) {
            Checkpoint latest = checkpoints.recover().orElseThrow();
            assertThat(latest.step()).isEqualTo(1);
            assertThat(latest.metrics()).containsExactly("{\"step\":1}");
            b.restore(latest);
            assertThat(b.step().loss()).isEqualTo(expected[0]);
            assertThat(b.step().loss()).isEqualTo(expected[1]);
        }
    }

    @Test
    void aDamagedCheckpointIsReportedAndThePreviousOneUsed() throws IOException {
        Checkpoints checkpoints = saveSteps(3);
        Path newest = checkpoints.committed().getLast().dir();
        try (RandomAccessFile f = new RandomAccessFile(newest.resolve(Checkpoint.MODEL).toFile(), "rw")) {
            f.seek(f.length() - 5);
            int b = f.read();
            f.seek(f.length() - 5);
            f.write(b ^ 0x40);
        }
        Checkpoint used = checkpoints.recover().orElseThrow();
        assertThat(used.step()).isEqualTo(2);
        assertThat(newest.resolveSibling(newest.getFileName() + ".corrupt")).isDirectory();
        assertThatThrownBy(() -> new Checkpoint(newest.resolveSibling(newest.getFileName() + ".corrupt"), 3).verify())
                .hasMessageContaining("model.safetensors does not match its checksum");
    }

    @Test
    void anUnfinishedOrTruncatedCheckpointIsNotUsed() throws IOException {
        Checkpoints checkpoints = saveSteps(3);
        // A crash while writing step 4 leaves a temporary folder; step 3 loses a file's tail.
        Files.createDirectories(tmp.resolve(".tmp-step-00000004"));
        Path step3 = checkpoints.committed().getLast().dir();
        try (RandomAccessFile f = new RandomAccessFile(step3.resolve(Checkpoint.OPTIMIZER).toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        // Step 2 lost its manifest.
        Files.delete(checkpoints.committed().get(1).dir().resolve(Manifest.FILE));
        assertThat(checkpoints.recover().orElseThrow().step()).isEqualTo(1);
        assertThat(tmp.resolve(".tmp-step-00000004")).doesNotExist();
    }

    @Test
    void onlyTheNewestCheckpointsAreKept() throws IOException {
        Checkpoints checkpoints = saveSteps(4);
        Checkpoints keepTwo = new Checkpoints(tmp, 2);
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer t = new Trainer(config, data)) {
            for (int i = 0; i < 5; i++) {
                t.step();
            }
            keepTwo.save(t.checkpointContents(config.render(), List.of()));
        }
        assertThat(checkpoints.committed()).extracting(Checkpoint::step).containsExactly(4L, 5L);
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
}
