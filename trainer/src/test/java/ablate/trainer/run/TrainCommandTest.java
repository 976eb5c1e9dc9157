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
    void aShapeWhoseSizesWouldOverflowFailsBeforeTheFolderIsMade() {
        Path dir = tmp.resolve("deep");
        Result r = train("--preset", "debug", "--set", "model.layers=100000", "--run-dir", dir.toString());
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err.lines().filter(l -> l.startsWith("error: ")).toList()).containsExactly("error: model.layers (--set model.layers=100000):"
                + " 100,000 is above the largest supported, 65,536; sizes derived from it would overflow");
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
    void aDryRunPrintsTheResolvedConfigAndWritesNothing() throws Exception {
        Path dir = tmp.resolve("planned");
        Result r = train("--preset", "debug", "--set", "model.position=alibi", "--run-dir", dir.toString(), "--dry-run");
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("position=alibi").contains("parameters").contains("FLOPs/token")
                .contains("dry run: would start a new run in " + dir);
        assertThat(dir).doesNotExist();

        assertThat(train("--preset", "debug", "--set", "train.steps=2", "--set", "train.threads=2", "--set", "checkpoint.interval=2",
                "--run-dir", dir.toString()).code).isZero();
        String metrics = Files.readString(dir.resolve("metrics.jsonl"));
        Result resume = train("--run-dir", dir.toString(), "--set", "train.steps=5", "--print-config");
        assertThat(resume.code).as(resume.err).isZero();
        assertThat(resume.out).contains("steps=5").contains("would resume " + dir + " from its checkpoint at step 2 to step 5");
        assertThat(Files.readString(dir.resolve("config.conf"))).contains("steps=2");
        assertThat(Files.readString(dir.resolve("metrics.jsonl"))).isEqualTo(metrics);
        assertThat(Files.size(dir.resolve(RunLock.FILE))).as("no holder left in the lock").isZero();
    }


    @Test
    void theHeaderSaysWhichPeakMfuIsReadAgainstAndWhereItCameFrom() {
        Result r = train("--preset", "debug", "--set", "train.steps=1", "--set", "train.threads=2", "--set", "train.peak-tflops=0.5",
                "--run-dir", tmp.resolve("peak").toString());
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out.lines().findFirst()).hasValueSatisfying(header -> assertThat(header)
                .contains("| cpu, 2 threads |").endsWith("| MFU against 0.500 TFLOP/s peak: train.peak-tflops"));
        assertThat(r.out).containsPattern("step 1/1 \\|.* \\| mfu \\d+\\.\\d% \\|");
    }

    private record Result(int code, String err, String out) {}

    private static Result train(String... args) {
        PrintStream saved = System.err;
        PrintStream savedOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        System.setOut(new PrintStream(out, true));
        try {
            int code = new CommandLine(new TrainCommand()).execute(args);
            return new Result(code, err.toString(), out.toString());
        } finally {
            System.setErr(saved);
            System.setOut(savedOut);
        }
    }
}
