package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.parallel.AllReduce;
import ablate.trainer.parallel.LocalAllReduce;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The project's signature property, on ranks that are threads of one JVM (the cluster test does it
 * with trainer JVMs): with exact gradient reduction a run's losses, gradient norms and weights are
 * bitwise the same on 1, 2, 3 or 4 ranks as in a local run, including uneven shares of the step's
 * micro-batches. Dropout is left to the cluster test: libtorch's dropout generator is global to a
 * process, so ranks that are threads would race for it.
 */
class DataParallelTrainingTest {
    private static final int STEPS = 5;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fp32 causal", "fp32 prefix", "fp16 prefix", "fp32 encoder-decoder", "fp16 encoder-decoder"})
    void lossesAreBitwiseTheSameOnAnyNumberOfRanks(String variant) throws Exception {
        String architecture = variant.split(" ")[1];
        RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", "train.threads=1", "train.micro-batch-size=4",
                "data.builtin.train-documents=1000", architecture.equals("encoder-decoder") ? "model.architecture=encoder-decoder"
                        : "model.attention-mask=" + architecture, "train.precision=" + variant.split(" ")[0]));
        List<StepMetrics> local;
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer t = new Trainer(config, data)) {
            local = new ArrayList<>();
            for (int i = 0; i < STEPS; i++) {
                local.add(t.step());
            }
        }
        for (int ranks = 1; ranks <= 4; ranks++) {
            List<List<StepMetrics>> byRank = train(config, ranks);
            for (int r = 0; r < ranks; r++) {
                for (int i = 0; i < STEPS; i++) {
                    StepMetrics want = local.get(i);
                    StepMetrics got = byRank.get(r).get(i);
                    assertThat(got.loss()).as("%d ranks, rank %d, step %d loss", ranks, r, i + 1).isEqualTo(want.loss());
                    assertThat(got.gradNorm()).as("%d ranks, rank %d, step %d grad norm", ranks, r, i + 1).isEqualTo(want.gradNorm());
                }
            }
        }
    }

    /** Each rank a thread with its own Trainer; returns every rank's metrics. */
    private List<List<StepMetrics>> train(RunConfig config, int ranks) throws Exception {
        LocalAllReduce.Group group = new LocalAllReduce.Group(ranks, Duration.ofSeconds(60));
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp)) {
            List<Future<List<StepMetrics>>> futures = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                AllReduce rank = group.rank(r);
                futures.add(pool.submit(() -> {
                    List<StepMetrics> out = new ArrayList<>();
                    try (Trainer t = new Trainer(config, data)) {
                        for (int i = 0; i < STEPS; i++) {
                            out.add(t.step(rank));
                        }
                    }
                    return out;
                }));
            }
            List<List<StepMetrics>> all = new ArrayList<>();
            for (Future<List<StepMetrics>> f : futures) {
                all.add(f.get(120, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }
}
