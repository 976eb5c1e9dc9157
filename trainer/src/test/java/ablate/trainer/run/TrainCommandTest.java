package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.trainer.cli.TrainCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
        Result r = train("--preset", "debug", "--run-dir", dir.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("is not empty and holds no run");
        assertThat(Files.list(dir)).containsExactly(dir.resolve("notes.txt"));
    }

    @Test
    void aBadConfigFailsBeforeTheFolderIsMade() {
        Path dir = tmp.resolve("new");
        Result r = train("--preset", "debug", "--set", "model.heads=3", "--run-dir", dir.toString());
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err).contains("model.heads (--set model.heads=3)");
        assertThat(dir).doesNotExist();
    }

    @Test
    void resumingWithAnotherModelIsRefusedAndTheRunKept() throws Exception {
        Path dir = tmp.resolve("run");
        assertThat(train("--preset", "debug", "--set", "train.steps=2", "--set", "train.threads=2", "--run-dir", dir.toString()).code)
                .isZero();
        String config = Files.readString(dir.resolve("config.conf"));
        String metrics = Files.readString(dir.resolve("metrics.jsonl"));
        Result r = train("--run-dir", dir.toString(), "--set", "model.position=alibi");
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err).contains("cannot resume with a different config").contains("model.position");
        assertThat(Files.readString(dir.resolve("config.conf"))).isEqualTo(config);
        assertThat(Files.readString(dir.resolve("metrics.jsonl"))).isEqualTo(metrics);
    }

    @Test
    void theHeaderSaysWhichPeakMfuIsReadAgainstAndWhereItCameFrom() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        try {
            assertThat(train("--preset", "debug", "--set", "train.steps=1", "--set", "train.threads=2", "--set", "train.peak-tflops=0.5",
                    "--run-dir", tmp.resolve("peak").toString()).code).isZero();
        } finally {
            System.setOut(saved);
        }
        assertThat(out.toString().lines().findFirst()).hasValueSatisfying(header -> assertThat(header)
                .contains("| cpu, 2 threads |").endsWith("| MFU against 0.500 TFLOP/s peak: train.peak-tflops"));
        assertThat(out.toString()).containsPattern("step 1/1 \\|.* \\| mfu \\d+\\.\\d% \\|");
    }

    private record Result(int code, String err) {}

    private static Result train(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            int code = new CommandLine(new TrainCommand()).execute(args);
            return new Result(code, err.toString());
        } finally {
            System.setErr(saved);
        }
    }
}
