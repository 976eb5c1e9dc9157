package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
import ablate.trainer.cli.TrainCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A run that fails to start changes nothing in its folder. */
class TrainCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aFolderHoldingOtherFilesIsNotUsed() throws Exception {
        Path dir = tmp.resolve("busy");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("notes.txt"), "mine");
        FolderState before = FolderState.of(dir);
        train("--preset", "debug", "--run-dir", dir.toString()).assertRefused(2, "is not empty and holds no run");
        before.assertUnchanged();
    }

    @Test
    void aBadConfigFailsBeforeTheFolderIsMade() {
        Path dir = tmp.resolve("new");
        CommandOutput r = train("--preset", "debug", "--set", "model.heads=3", "--run-dir", dir.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("model.heads (--set model.heads=3)");
        assertThat(dir).doesNotExist();
    }

    @Test
    void aShapeWhoseSizesWouldOverflowFailsBeforeTheFolderIsMade() {
        Path dir = tmp.resolve("deep");
        CommandOutput r = train("--preset", "debug", "--set", "model.layers=100000", "--run-dir", dir.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines().filter(l -> l.startsWith("error: ")).toList()).containsExactly("error: model.layers (--set model.layers=100000):"
                + " 100,000 is above the largest supported, 65,536; sizes derived from it would overflow");
        assertThat(dir).doesNotExist();
    }

    @Test
    void resumingWithAnotherModelIsRefusedAndTheRunKept() throws Exception {
        Path dir = tmp.resolve("run");
        assertThat(train("--preset", "debug", "--set", "train.steps=2", "--set", "train.threads=2", "--run-dir", dir.toString()).exit())
                .isZero();
        String config = Files.readString(dir.resolve("config.conf"));
        String metrics = Files.readString(dir.resolve("metrics.jsonl"));
        CommandOutput r = train("--run-dir", dir.toString(), "--set", "model.position=alibi");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot resume with a different config").contains("model.position");
        assertThat(Files.readString(dir.resolve("config.conf"))).isEqualTo(config);
        assertThat(Files.readString(dir.resolve("metrics.jsonl"))).isEqualTo(metrics);
    }

    @Test
    void aDryRunPrintsTheResolvedConfigAndWritesNothing() throws Exception {
        Path dir = tmp.resolve("planned");
        CommandOutput r = train("--preset", "debug", "--set", "model.position=alibi", "--run-dir", dir.toString(), "--dry-run");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("position=alibi").contains("parameters").contains("FLOPs/token")
                .contains("dry run: would start a new run in " + dir);
        assertThat(dir).doesNotExist();

        assertThat(train("--preset", "debug", "--set", "train.steps=2", "--set", "train.threads=2", "--set", "checkpoint.interval=2",
                "--run-dir", dir.toString()).exit()).isZero();
        String metrics = Files.readString(dir.resolve("metrics.jsonl"));
        CommandOutput resume = train("--run-dir", dir.toString(), "--set", "train.steps=5", "--print-config");
        assertThat(resume.exit()).as(resume.err()).isZero();
        assertThat(resume.out()).contains("steps=5").contains("would resume " + dir + " from its checkpoint at step 2 to step 5");
        assertThat(Files.readString(dir.resolve("config.conf"))).contains("steps=2");
        assertThat(Files.readString(dir.resolve("metrics.jsonl"))).isEqualTo(metrics);
        assertThat(Files.size(dir.resolve(RunLock.FILE))).as("no holder left in the lock").isZero();
    }


    @Test
    void theHeaderSaysWhichPeakMfuIsReadAgainstAndWhereItCameFrom() {
        CommandOutput r = train("--preset", "debug", "--set", "train.steps=1", "--set", "train.threads=2", "--set", "train.peak-tflops=0.5",
                "--run-dir", tmp.resolve("peak").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().findFirst()).hasValueSatisfying(header -> assertThat(header)
                .contains("| cpu, 2 threads |").endsWith("| MFU against 0.500 TFLOP/s peak: train.peak-tflops"));
        assertThat(r.out()).containsPattern("step 1/1 \\|.* \\| mfu \\d+\\.\\d% \\|");
    }

    private static CommandOutput train(String... args) {
        return CommandOutput.of(() -> new CommandLine(new TrainCommand()).execute(args));
    }
}
