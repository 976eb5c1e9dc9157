package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
import ablate.trainer.cli.TrainCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Nothing a user does by mistake to a run folder costs the run: a second writer is refused while
 * the first trains (a real second JVM), a run whose checkpoints are gone or all damaged is not
 * started over without --restart, an edited config.conf cannot change a resumed run, and a damaged
 * checkpoint whose .corrupt name is taken does not block resuming. Every refusal leaves every file
 * byte for byte as it was and prints no stack trace.
 */
class RunFolderSafetyTest {
    private static final List<String> DEBUG = List.of("--preset", "debug", "--set", "train.threads=1", "--set", "train.steps=12",
            "--set", "checkpoint.interval=4");

    @TempDir
    Path tmp;

    private static CommandOutput train(List<String> args) {
        return CommandOutput.of(() -> new CommandLine(new TrainCommand()).execute(args.toArray(String[]::new)));
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    private static void assertRefusedWithoutTrace(CommandOutput r, String... mentions) {
        r.assertRefused(2, mentions);
    }

    @Test
    void aSecondWriterIsRefusedNamingTheFirstAndALockLeftByAKilledWriterIsTakenOver() throws Exception {
        Path run = tmp.resolve("run");
        Process first = TrainProcess.start(tmp.resolve("first.log"), with(List.of("--preset", "debug", "--set", "train.threads=1",
                "--set", "train.steps=100000", "--set", "checkpoint.interval=50"), "--run-dir", run.toString()));
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (!(Files.exists(run.resolve(MetricsLog.FILE)) && Files.size(run.resolve(MetricsLog.FILE)) > 0) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(RunLock.holder(run)).contains("ablate train").contains("pid " + first.pid());
            CommandOutput second = train(List.of("--run-dir", run.toString(), "--set", "train.steps=100001"));
            assertRefusedWithoutTrace(second, "is being written by ablate train (pid " + first.pid(), "nothing was changed");
        } finally {
            first.destroyForcibly().waitFor();
        }
        assertThat(RunLock.holder(run)).as("the OS released the killed writer's lock").isEmpty();
        CommandOutput resumed = train(List.of("--run-dir", run.toString(), "--set", "train.steps=60"));
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(Files.readString(run.resolve(RunLock.FILE))).as("released on exit").isEmpty();
    }

    @Test
    void aRunWhoseCheckpointsAreGoneIsNotStartedOverWithoutRestartAndKeepsItsMetrics() throws Exception {
        Path run = tmp.resolve("run");
        assertThat(train(with(DEBUG, "--run-dir", run.toString())).exit()).isZero();
        // every checkpoint damaged: the run refuses and nothing changes
        try (Stream<Path> steps = Files.list(run.resolve("checkpoints"))) {
            for (Path step : steps.toList()) {
                Files.writeString(step.resolve("model.safetensors"), "garbage");
            }
        }
        FolderState before = FolderState.of(run);
        assertRefusedWithoutTrace(train(List.of("--run-dir", run.toString(), "--set", "train.steps=16")), "logged 12 steps",
                "every checkpoint is damaged", "--restart");
        before.assertUnchanged();

        // the checkpoints folder replaced by a file: refused, even with --restart
        Path moved = tmp.resolve("checkpoints-aside");
        Files.move(run.resolve("checkpoints"), moved);
        Files.writeString(run.resolve("checkpoints"), "not a folder");
        FolderState withFile = FolderState.of(run);
        assertRefusedWithoutTrace(train(List.of("--run-dir", run.toString(), "--restart")), "is a file");
        withFile.assertUnchanged();

        // gone: refused without --restart; with it, trained again and the old metrics kept
        Files.delete(run.resolve("checkpoints"));
        String metrics = Files.readString(run.resolve(MetricsLog.FILE));
        assertRefusedWithoutTrace(train(List.of("--run-dir", run.toString())), "its checkpoints/ folder is gone");
        CommandOutput restarted = train(List.of("--run-dir", run.toString(), "--restart"));
        assertThat(restarted.exit()).as(restarted.err()).isZero();
        assertThat(restarted.out()).contains("--restart: its checkpoints/ folder is gone; training again from step 0");
        assertThat(Files.readString(run.resolve(MetricsLog.FILE + ".before-restart"))).isEqualTo(metrics);
        assertThat(Files.readAllLines(run.resolve(MetricsLog.FILE))).hasSize(12);

        // --restart on a run that has a valid checkpoint is refused: it resumes from it
        assertRefusedWithoutTrace(train(List.of("--run-dir", run.toString(), "--restart", "--set", "train.steps=16")),
                "has a valid checkpoint of step 12");
    }

    @Test
    void anEditedConfigCannotChangeAResumedRunAndATakenCorruptNameDoesNotBlockResuming() throws Exception {
        Path run = tmp.resolve("run");
        assertThat(train(with(DEBUG, "--run-dir", run.toString())).exit()).isZero();
        Path config = run.resolve(RunDirectory.CONFIG);
        String original = Files.readString(config);
        Files.writeString(config, original.replaceFirst("lr\\s*=\\s*[0-9.e-]+", "lr = 0.5"));
        FolderState before = FolderState.of(run);
        assertRefusedWithoutTrace(train(List.of("--run-dir", run.toString(), "--set", "train.steps=16")), "train.lr",
                "differs from the config checkpoint step-00000012 was trained with");
        before.assertUnchanged();
        Files.writeString(config, original);

        // the newest checkpoint damaged while an earlier step-12.corrupt exists: it goes to .corrupt-2, step 8 resumes
        Path newest = run.resolve("checkpoints/step-00000012");
        Files.createDirectories(run.resolve("checkpoints/step-00000012.corrupt"));
        Files.writeString(run.resolve("checkpoints/step-00000012.corrupt/note"), "an earlier damaged copy");
        Files.writeString(newest.resolve("optimizer.safetensors"), "garbage");
        CommandOutput resumed = train(List.of("--run-dir", run.toString(), "--set", "train.steps=16"));
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("resumed from").contains("step 8");
        assertThat(run.resolve("checkpoints/step-00000012.corrupt-2")).isDirectory();
        assertThat(run.resolve("checkpoints/step-00000012.corrupt/note")).hasContent("an earlier damaged copy");
    }

    /** Ctrl-C (SIGINT) finishes the step, writes its checkpoint, says so and exits 130; the same command resumes there. */
    @Test
    void anInterruptCheckpointsTheStepItFinishedAndTheSameCommandResumesThere() throws Exception {
        Path run = tmp.resolve("run");
        List<String> args = with(List.of("--preset", "debug", "--set", "train.threads=1", "--set", "train.steps=100000",
                "--set", "checkpoint.interval=100000"), "--run-dir", run.toString());
        Path log = tmp.resolve("interrupted.log");
        Process p = TrainProcess.start(log, args);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!(Files.exists(run.resolve(MetricsLog.FILE)) && Files.readAllLines(run.resolve(MetricsLog.FILE)).size() >= 5)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isEqualTo(130);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("interrupted at step (\\d+); checkpoint written; rerun the same command to resume")
                .matcher(out);
        assertThat(m.find()).as(out).isTrue();
        long step = Long.parseLong(m.group(1));
        assertThat(new ablate.trainer.checkpoint.Checkpoints(run.resolve("checkpoints"), 3).latestCommitted()).get()
                .extracting(ablate.trainer.checkpoint.Checkpoint::step).isEqualTo(step);
        assertThat(Files.readAllLines(run.resolve(MetricsLog.FILE))).hasSize((int) step);

        CommandOutput finished = train(List.of("--run-dir", run.toString(), "--set", "train.steps=" + step));
        assertThat(finished.exit()).as(finished.err()).isZero();
        assertThat(finished.out()).contains("resumed from").contains("the run is already complete at step " + step + " (loss ");
    }

    @Test
    void aModelThatCannotFitThisMachineIsRefusedWithItsEstimateBeforeAnythingIsWritten() throws Exception {
        Path run = tmp.resolve("huge");
        CommandOutput huge = train(List.of("--preset", "176b", "--set", "train.device=cpu", "--run-dir", run.toString()));
        assertRefusedWithoutTrace(huge, "this model needs about", "176,247,271,424 parameters", "this machine has");
        assertThat(run).doesNotExist();
    }

    @Test
    void aLossThatStopsBeingFiniteEndsTheRunInOneLineWithItsLastCheckpointIntact() throws Exception {
        Path run = tmp.resolve("run");
        CommandOutput diverged = train(with(DEBUG, "--run-dir", run.toString(), "--set", "train.lr=1e6", "--set", "train.warmup-steps=0",
                "--set", "train.grad-clip=0", "--set", "train.steps=200", "--set", "checkpoint.interval=1"));
        assertThat(diverged.exit()).as(diverged.out() + diverged.err()).isEqualTo(1);
        assertThat(diverged.err()).contains("lower train.lr").contains("the last checkpoint is intact").doesNotContain("\tat ")
                .doesNotContain("unexpected failure");
        assertThat(new ablate.trainer.checkpoint.Checkpoints(run.resolve("checkpoints"), 3).latestCommitted()).isPresent();
    }
}
