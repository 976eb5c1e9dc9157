package ablate.trainer.run;

import ablate.conf.RunConfig;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training run in its folder: resumes from the newest valid checkpoint if there is one, then
 * steps to train.steps, writing metrics.jsonl each step, validating every eval-interval and
 * checkpointing every checkpoint.interval steps (and at the end).
 */
public final class Run {
    private static final Logger log = LoggerFactory.getLogger(Run.class);

    /**
     * How the run ended: at {@code steps} (train.steps, or earlier when {@code interrupted}, then
     * with a checkpoint of that step written); {@code loss} and {@code valLoss} are the last logged and last measured.
     */
    public record Outcome(long steps, double loss, double valLoss, long resumedFrom, boolean interrupted) {}

    private final RunConfig config;
    private final RunDirectory dir;
    private final TrainingData data;
    private final boolean restart;
    private final LoopPolicy policy;
    private boolean guarded;
    private java.util.function.BooleanSupplier stopRequested = () -> false;

    /** Checked after every step: when true the run writes a checkpoint of the step it finished and returns, interrupted. */
    public Run stoppingWhen(java.util.function.BooleanSupplier stop) {
        this.stopRequested = stop;
        return this;
    }

    public Run(RunConfig config, RunDirectory dir, TrainingData data) {
        this(config, dir, data, false);
    }

    private Run(RunConfig config, RunDirectory dir, TrainingData data, boolean restart) {
        this.config = config;
        this.dir = dir;
        this.data = data;
        this.restart = restart;
        this.policy = new LoopPolicy(config);
    }

    /** The peak this run's MFU is measured against, and its source (for the header a command prints first). */
    public ablate.trainer.peak.Peak peak() {
        return policy.peak();
    }

    /**
     * The same run, allowed to start again from step 0 when its checkpoints are lost or all damaged
     * ({@code ablate train --restart}); its metrics.jsonl is kept under another name.
     */
    public Run restartingWhenNoCheckpointIsLeft() {
        return new Run(config, dir, data, true);
    }

    /** Trains to the configured step count; {@code progress} receives one line per report. */
    public Outcome execute(Consumer<String> progress) throws IOException {
        Checkpoints checkpoints = new Checkpoints(dir.checkpoints(), config.checkpoint().keep());
        checkFolder(progress);
        try (Trainer trainer = new Trainer(config, data)) {
            Optional<Checkpoint> latest = checkpoints.recover();
            List<String> metricsSoFar = List.of();
            long resumedFrom = 0;
            if (latest.isPresent()) {
                trainer.restore(latest.get());
                metricsSoFar = latest.get().metrics();
                resumedFrom = latest.get().step();
                progress.accept("resumed from " + latest.get().dir() + " (step " + resumedFrom + ")");
            }
            long total = config.train().steps();
            MetricsLog.Last last = MetricsLog.Last.of(metricsSoFar); // what the outcome says when no step is left to train
            double loss = last.loss();
            double valLoss = last.valLoss();
            Progress report = new Progress(total, trainer.state().step(), progress);
            java.nio.file.Path ledgerFile = dir.path().resolve(SampleLedger.FILE);
            boolean history = java.nio.file.Files.exists(ledgerFile) && java.nio.file.Files.size(ledgerFile) > 0;
            try (MetricsLog metrics = MetricsLog.open(dir.path(), metricsSoFar); SampleLedger ledger = SampleLedger.open(dir.path())) {
                if (latest.isPresent()) {
                    ledger.restart(resumedFrom, "resumed from " + latest.get().dir().getFileName());
                } else if (history) {
                    // stopped before its first checkpoint: the steps it logged are done again from the start
                    ledger.restart(0, "started again: no checkpoint was written before it stopped");
                }
                while (!policy.finished(trainer.state().step())) {
                    StepMetrics m = trainer.step();
                    long step = m.step();
                    loss = m.loss();
                    policy.checkFinite(m);
                    LoopPolicy.Throughput speed = policy.throughput(m, 1);
                    double measured = Double.NaN;
                    if (policy.validatesAfter(step)) {
                        measured = trainer.validationLoss();
                        valLoss = measured;
                    }
                    metrics.append(m, speed.tokensPerSecond(), speed.flopsPerSecond(), speed.mfu(), measured);
                    ledger.step(m, config.train().globalBatchSize(), config.train().microBatchSize(), "local");
                    report.step(m, measured, speed.tokensPerSecond(), speed.mfu());
                    boolean stop = stopRequested.getAsBoolean() && !policy.finished(step);
                    if (policy.checkpointsAfter(step) || stop) {
                        Checkpoint saved = checkpoints.save(trainer.checkpointContents(config.render(), metrics.lines()));
                        log.info("checkpoint {}", saved.dir());
                    }
                    if (stop) {
                        return new Outcome(step, loss, valLoss, resumedFrom, true);
                    }
                }
            }
            return new Outcome(trainer.state().step(), loss, valLoss, resumedFrom, false);
        }
    }

    /**
     * A run that logged steps past its first checkpoint (so one was committed) but has no valid checkpoint left (the folder
     * was deleted, replaced by a file, or every checkpoint is damaged) is not started over silently:
     * nothing is changed unless {@code --restart} asked for it, and then its metrics are kept. A run
     * killed before its first checkpoint starts again from step 0 as before (nothing is lost).
     * {@link #execute} checks first; a caller that writes into the folder before training (a resumed
     * config) calls this before it writes.
     */
    public void checkFolder(Consumer<String> progress) throws IOException {
        if (guarded) {
            return;
        }
        guarded = true;
        Checkpoints checkpoints = new Checkpoints(dir.checkpoints(), config.checkpoint().keep());
        java.nio.file.Path folder = dir.checkpoints();
        if (java.nio.file.Files.exists(folder) && !java.nio.file.Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + " is a file, not the run's checkpoints folder; move it aside (nothing was changed)");
        }
        Optional<Checkpoint> valid = checkpoints.latestCommitted();
        if (valid.isPresent()) {
            if (restart) {
                throw new IllegalArgumentException("--restart: " + dir.path() + " has a valid checkpoint of step " + valid.get().step()
                        + " and resumes from it; drop --restart (or move checkpoints/ aside to train it again from step 0)");
            }
            return;
        }
        java.nio.file.Path metricsFile = dir.path().resolve(MetricsLog.FILE);
        long logged;
        try (var lines = java.nio.file.Files.exists(metricsFile) ? java.nio.file.Files.lines(metricsFile) : java.util.stream.Stream.<String>empty()) {
            logged = lines.filter(l -> !l.isBlank()).count();
        }
        List<String> damaged = new java.util.ArrayList<>();
        if (java.nio.file.Files.isDirectory(folder)) {
            try (var children = java.nio.file.Files.list(folder)) {
                children.map(p -> p.getFileName().toString()).filter(n -> n.matches("step-\\d+(\\.corrupt.*)?")).sorted().forEach(damaged::add);
            }
        }
        long interval = config.checkpoint().interval();
        long firstCheckpoint = interval > 0 ? Math.min(interval, config.train().steps()) : config.train().steps();
        if (damaged.isEmpty() && logged <= firstCheckpoint) {
            // stopped before its first checkpoint was committed (also while writing it, after logging its step):
            // starting from step 0 repeats exactly what it logged
            return;
        }
        String why = !java.nio.file.Files.exists(folder) ? "its checkpoints/ folder is gone"
                : damaged.isEmpty() ? "checkpoints/ holds none" : "every checkpoint is damaged: " + String.join(", ", damaged);
        if (!restart) {
            throw new IllegalArgumentException(dir.path() + " logged " + logged + " steps but has no valid checkpoint (" + why
                    + "); nothing was changed. To train it again from step 0, rerun with --restart (its metrics.jsonl is kept)");
        }
        java.nio.file.Path kept = metricsFile.resolveSibling(MetricsLog.FILE + ".before-restart");
        for (int n = 2; java.nio.file.Files.exists(kept); n++) {
            kept = metricsFile.resolveSibling(MetricsLog.FILE + ".before-restart-" + n);
        }
        if (java.nio.file.Files.exists(metricsFile)) {
            java.nio.file.Files.move(metricsFile, kept);
        }
        progress.accept("--restart: " + why + "; training again from step 0 (the earlier metrics are in " + kept.getFileName() + ")");
    }
}
