package ablate.trainer.cli;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ablate.trainer.run.LoopPolicy;
import ablate.trainer.run.ResumePolicy;
import ablate.trainer.run.Run;
import ablate.trainer.run.RunDirectory;
import ablate.trainer.run.RunLock;
import ablate.trainer.run.Torch;
import ablate.trainer.run.TrainingData;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ablate train}: start a run, or resume the one in --run-dir. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a model from a preset and/or config files, or resume the run in --run-dir.",
                "On a --run-dir that holds a run, resumes from its newest valid checkpoint; only train.steps, "
                        + "evaluation, checkpoint and device keys may change on resume."})
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--run-dir", paramLabel = "DIR", description = "The run's folder (default: runs/NAME-TIMESTAMP for a new run).")
    Path runDir;

    @Option(names = "--restart", description = "Train the run in --run-dir again from step 0 when it logged steps but has no valid "
            + "checkpoint left (without it such a run is refused and nothing changes); its metrics.jsonl is kept as metrics.jsonl.before-restart.")
    boolean restart;

    @Option(names = {"--dry-run", "--print-config"}, description = "Check everything as a run would (settings, device, memory, data, "
            + "--run-dir), print the resolved config, the model summary and what would happen, and write nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        return Cli.guard(this::train);
    }

    private int train() throws Exception {
        RunConfig run;
        RunDirectory dir;
        boolean resuming = runDir != null && new RunDirectory(runDir).holdsRun();
        if (restart && !resuming) {
            throw new IllegalArgumentException("--restart applies to a --run-dir that holds a run; " + (runDir == null ? "give --run-dir" : runDir + " holds none"));
        }
        java.util.Optional<ablate.trainer.checkpoint.Checkpoint> newest = java.util.Optional.empty();
        if (resuming) {
            dir = new RunDirectory(runDir);
            RunLock.checkFree(dir.path()); // before reading data or comparing configs; acquire() below takes it
            Config saved = Settings.parseFile(dir.config());
            newest = new ablate.trainer.checkpoint.Checkpoints(dir.checkpoints(), Integer.MAX_VALUE).latestCommitted();
            if (newest.isPresent()) {
                ResumePolicy.checkUnedited(saved, dir.config(), Settings.parseText(new Settings.Text(
                        newest.get().dir().resolve("config.conf").toString(), newest.get().config())), newest.get().dir());
            }
            Config requested = config.chosen() ? Settings.compose(config.sources()) : Settings.compose(
                    new Settings.Sources("", java.util.List.of(), config.overrides));
            run = ResumePolicy.merge(saved, requested, config.chosen(), dir.config());
        } else {
            if (!config.chosen()) {
                throw new SettingsException("--preset", "", "give --preset NAME or --config FILE for a new run"
                        + (runDir == null ? "" : " (" + runDir + " holds no run to resume)"));
            }
            run = Settings.load(config.sources());
            dir = null;
        }
        LoopPolicy.checkArchitecture(run);
        Torch.device(run.train().device()); // fails before anything is read or written when the device is not there
        checkMemory(run);
        ablate.trainer.model.ShapeLimits.check(run); // a shape the code cannot build or checkpoint fails before anything is read or written
        try (TrainingData data = TrainingData.open(run.data(), run.train().seed(), Path.of(""))) {
            LoopPolicy.checkVocabulary(run, data);
            if (dryRun) {
                return dryRun(run, resuming ? dir : null, newest);
            }
            if (!resuming) {
                Path path = runDir != null ? runDir : Path.of("runs", name() + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
                dir = RunDirectory.create(path, run.render());
            }
            try (RunLock lock = RunLock.acquire(dir.path(), "ablate train")) {
                Run training = new Run(run, dir, data);
                training = restart ? training.restartingWhenNoCheckpointIsLeft() : training;
                training.checkFolder(System.out::println); // before anything in the folder changes
                if (resuming) {
                    dir.writeConfig(run.render());
                }
                return train(run, dir, training);
            }
        }
    }

    /**
     * {@code --dry-run}: the resolved config, the model summary and what a real run would do; nothing
     * is written or locked. {@code newest}: the checkpoint the resume checks already found (and verified).
     */
    private int dryRun(RunConfig run, RunDirectory resumed, java.util.Optional<ablate.trainer.checkpoint.Checkpoint> newest) {
        System.out.println(run.render());
        System.out.println("# " + header(run));
        if (resumed == null) {
            System.out.println("# dry run: would start a new run in " + (runDir != null ? runDir : Path.of("runs", name() + "-TIMESTAMP"))
                    + " (" + run.train().steps() + " steps); nothing was written");
        } else {
            System.out.println("# dry run: would resume " + resumed.path() + " from " + newest.map(c -> "its checkpoint at step " + c.step())
                    .orElse("step 0 (no committed checkpoint)") + " to step " + run.train().steps() + "; nothing was written");
        }
        return Cli.OK;
    }

    /** Exit code of a run stopped by SIGINT or SIGTERM after its checkpoint was written (128 + SIGINT, as shells count). */
    static final int INTERRUPTED = Interrupts.EXIT;

    private static int train(RunConfig run, RunDirectory dir, Run training) throws Exception {
        System.out.println(header(run) + " | MFU against " + training.peak().describe());
        System.out.println("run " + dir.path().toAbsolutePath() + " | " + run.model().layers() + " layers, d="
                + run.model().dModel() + ", " + run.model().position().name().toLowerCase() + ", "
                + run.model().activation().name().toLowerCase() + " | " + run.train().steps() + " steps");
        Run.Outcome outcome;
        try (Interrupts interrupts = Interrupts.install("finishing the current step and writing a checkpoint"
                + " (press Ctrl-C again to stop at once, losing the steps since the last checkpoint)")) {
            outcome = training.stoppingWhen(interrupts::requested).execute(System.out::println);
        }
        if (outcome.interrupted()) {
            System.out.printf("interrupted at step %d; checkpoint written; rerun the same command to resume%n", outcome.steps());
            return INTERRUPTED;
        }
        if (outcome.resumedFrom() == outcome.steps()) {
            System.out.printf("the run is already complete at step %d (loss %.4f, val loss %.4f, its last logged values); raise"
                    + " train.steps (--set train.steps=N) to train it further%n", outcome.steps(), outcome.loss(), outcome.valLoss());
            return Cli.OK;
        }
        System.out.printf("done: %d steps, loss %.4f, val loss %.4f, checkpoints in %s%n", outcome.steps(),
                outcome.loss(), outcome.valLoss(), dir.checkpoints());
        return Cli.OK;
    }

    /**
     * What runs the run: ablate (and the commit, which the launcher passes from a checkout), Java,
     * libtorch and its math libraries, device and threads, the model's size and FLOPs per token.
     */
    private static String header(RunConfig run) {
        String version = java.util.Optional.ofNullable(TrainCommand.class.getPackage().getImplementationVersion()).orElse("0.1.0")
                + java.util.Optional.ofNullable(System.getProperty("ablate.commit")).filter(c -> !c.isBlank()).map(c -> " (" + c + ")")
                        .orElse("");
        String libtorch;
        try {
            libtorch = "libtorch " + Torch.version() + " [" + Torch.mathLibraries() + "]";
        } catch (RuntimeException e) {
            libtorch = "libtorch (version unknown: " + e.getMessage() + ")";
        }
        ablate.trainer.model.ModelSize size = new ablate.trainer.model.ModelSize(run.model());
        int threads = run.train().threads() > 0 ? run.train().threads() : Runtime.getRuntime().availableProcessors();
        return String.format(java.util.Locale.ROOT, "ablate %s | Java %s (%s) | %s (DJL %s) | %s, %d threads | %,d parameters"
                        + " (%,d non-embedding) | %.3g FLOPs/token", version, Runtime.version(), System.getProperty("java.vendor"),
                libtorch, ai.djl.engine.Engine.getDjlVersion(), run.train().device(), threads, size.total(), size.nonEmbedding(),
                size.flopsPerToken());
    }

    /**
     * Refuses a model whose training state (weights, gradients, AdamW moments), one micro-batch's
     * activations and buffers cannot fit this machine's memory (on CPU), or whose Java arrays cannot
     * fit the heap, with the estimate, instead of an out-of-memory kill after minutes of building.
     */
    private static void checkMemory(RunConfig run) {
        ablate.trainer.model.ModelMemory.training(run)
                .requireFits(ablate.trainer.model.AvailableMemory.here(run.train().device().equals("cpu")));
    }

    private String name() {
        if (!config.preset.isEmpty()) {
            return config.preset;
        }
        String file = config.files.getLast().getFileName().toString();
        return file.endsWith(".conf") ? file.substring(0, file.length() - 5) : file;
    }

    /** Direct entry point (used by tests that run training in a separate JVM). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainCommand()).execute(args));
    }
}
