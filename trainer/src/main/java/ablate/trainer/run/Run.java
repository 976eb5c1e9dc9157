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

    /** How the run ended. */
    public record Outcome(long steps, double loss, double valLoss, long resumedFrom) {}

    private final RunConfig config;
    private final RunDirectory dir;
    private final TrainingData data;

    public Run(RunConfig config, RunDirectory dir, TrainingData data) {
        this.config = config;
        this.dir = dir;
        this.data = data;
    }

    /** Trains to the configured step count; {@code progress} receives one line per report. */
    public Outcome execute(Consumer<String> progress) throws IOException {
        Checkpoints checkpoints = new Checkpoints(dir.checkpoints(), config.checkpoint().keep());
        LoopPolicy policy = new LoopPolicy(config);
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
            double loss = Double.NaN;
            double valLoss = Double.NaN;
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
                    report.step(step, loss, measured, speed.tokensPerSecond(), speed.mfu(), m.seconds());
                    if (policy.checkpointsAfter(step)) {
                        Checkpoint saved = checkpoints.save(trainer.checkpointContents(config.render(), metrics.lines()));
                        log.info("checkpoint {}", saved.dir());
                    }
                }
            }
            return new Outcome(trainer.state().step(), loss, valLoss, resumedFrom);
        }
    }
}
