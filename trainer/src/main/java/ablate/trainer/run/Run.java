package ablate.trainer.run;

import ablate.conf.RunConfig;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
import ablate.trainer.model.ModelSize;
import java.io.IOException;
import java.nio.file.Path;
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
        try (Trainer trainer = new Trainer(config, data, 0, 1)) {
            Optional<Checkpoint> latest = checkpoints.latestValid();
            List<String> metricsSoFar = List.of();
            long resumedFrom = 0;
            if (latest.isPresent()) {
                trainer.restore(latest.get());
                metricsSoFar = latest.get().metrics();
                resumedFrom = latest.get().step();
                progress.accept("resumed from " + latest.get().dir() + " (step " + resumedFrom + ")");
            }
            ModelSize size = new ModelSize(config.model());
            double flopsPerToken = size.flopsPerToken();
            double peak = config.train().peakFlopsPerDevice();
            long total = config.train().steps();
            double loss = Double.NaN;
            double valLoss = Double.NaN;
            Progress report = new Progress(total, trainer.state().step(), progress);
            try (MetricsLog metrics = MetricsLog.open(dir.path(), metricsSoFar)) {
                while (trainer.state().step() < total) {
                    StepMetrics m = trainer.step();
                    long step = m.step();
                    loss = m.loss();
                    if (!Double.isFinite(loss)) {
                        throw new IllegalStateException("loss is " + loss + " at step " + step
                                + "; lower train.lr or raise train.warmup-steps (the last checkpoint is intact)");
                    }
                    double tokensPerSecond = (double) config.tokensPerStep() / m.seconds();
                    double flopsPerSecond = tokensPerSecond * flopsPerToken;
                    int every = config.train().evalInterval();
                    double measured = Double.NaN;
                    if (every > 0 && (step % every == 0 || step == total)) {
                        measured = trainer.validationLoss();
                        valLoss = measured;
                    }
                    metrics.append(m, tokensPerSecond, flopsPerSecond, flopsPerSecond / peak, measured);
                    report.step(step, loss, measured, tokensPerSecond, flopsPerSecond / peak, m.seconds());
                    int interval = config.checkpoint().interval();
                    if ((interval > 0 && step % interval == 0) || step == total) {
                        Checkpoint saved = checkpoints.save(trainer.checkpointContents(config.render(), metrics.lines()));
                        log.info("checkpoint {}", saved.dir());
                    }
                }
            }
            return new Outcome(trainer.state().step(), loss, valLoss, resumedFrom);
        }
    }
}
