package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint write that fails with a real I/O error half-way (the shell's file-size limit, whose
 * EFBIG stands in for a full disk's ENOSPC: both end a write() in the middle of model.safetensors)
 * stops the run in one line naming the file, removes the unfinished folder and leaves the previous
 * checkpoint as it was, so the same command resumes from it once there is room.
 */
class FailedCheckpointTest {
    private static final Path BASH = Path.of("/bin/bash");

    @TempDir
    Path tmp;

    @Test
    void aCheckpointWriteThatFailsNamesTheFileAndKeepsThePreviousCheckpoint() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(BASH) && System.getProperty("os.name").startsWith("Linux"),
                "NOT RUN: needs Linux and /bin/bash to limit the size of the files a JVM may write");
        Path run = tmp.resolve("run");
        TrainProcess.runToEnd(tmp.resolve("first.log"), List.of("--preset", "debug", "--set", "train.steps=2", "--set", "train.threads=2",
                "--set", "checkpoint.interval=2", "--run-dir", run.toString()));
        Path step2 = run.resolve("checkpoints").resolve(Checkpoints.name(2));
        byte[] model = Files.readAllBytes(step2.resolve(Checkpoint.MODEL));
        assertThat(model.length).as("the limit below must cut model.safetensors").isGreaterThan(256 * 1024);

        Path log = tmp.resolve("second.log");
        Process p = limited(log, 256, List.of("--run-dir", run.toString(), "--set", "train.steps=4"));
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String out = Files.readString(log);

        assertThat(p.exitValue()).as(out).isEqualTo(1);
        Path failed = run.resolve("checkpoints").resolve(".tmp-" + Checkpoints.name(4)).resolve(Checkpoint.MODEL);
        assertThat(out.lines().filter(l -> l.startsWith("error: ")).toList()).as(out).containsExactly("error: cannot write " + failed
                + ": File too large; the checkpoint of step 4 was not written, " + Checkpoints.name(2) + " is intact");
        assertThat(out).doesNotContain("\tat ");
        assertThat(failed.getParent()).doesNotExist();
        assertThat(Files.readAllBytes(step2.resolve(Checkpoint.MODEL))).isEqualTo(model);
        new Checkpoint(step2, 2).verify();
        assertThat(TrainProcess.losses(run)).hasSize(4); // the steps after it are logged, and recomputed on resume
    }

    /** `ablate train` in a JVM that may write no file beyond {@code kib} KiB. */
    private static Process limited(Path log, int kib, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(BASH.toString(), "-c", "ulimit -f " + kib + " && exec \"$0\" \"$@\""));
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "ablate.trainer.cli.TrainCommand"));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
