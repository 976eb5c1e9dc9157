package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.model.Batch;
import ablate.trainer.parallel.MicroBatchRange;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A step's global batch is the same samples however many data-parallel ranks share it, so a run
 * resumed on another number of ranks continues the same sample sequence.
 */
class DataParallelBatchTest {
    @Test
    void ranksSplitTheSameGlobalBatch() {
        RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", "model.attention-mask=prefix",
                "train.global-batch-size=16", "train.micro-batch-size=2", "train.threads=2",
                "data.builtin.train-documents=2000"));
        try (TrainingData data = TrainingData.open(config.data(), 1, Path.of(""))) {
            for (long step : new long[] {0, 7}) {
                for (int ranks : new int[] {2, 3, 4, 8}) {
                    assertThat(samples(config, data, ranks, step)).as("%d ranks", ranks).isEqualTo(samples(config, data, 1, step));
                }
            }
        }
    }

    /** Inputs and prefix lengths of every micro-batch of every rank, rank by rank. */
    private static List<List<Long>> samples(RunConfig config, TrainingData data, int ranks, long step) {
        List<List<Long>> out = new ArrayList<>();
        for (int rank = 0; rank < ranks; rank++) {
            MicroBatchRange share = MicroBatchRange.of(rank, ranks, config.train().microBatches());
            try (Trainer t = new Trainer(config, data)) {
                for (int m = share.start(); m < share.end(); m++) {
                    Batch.Windows b = (Batch.Windows) t.batch(step, m);
                    long[] inputs = b.inputs().toLongArray();
                    long[] prefix = b.prefix().toLongArray();
                    int seq = config.model().seqLen();
                    for (int i = 0; i < prefix.length; i++) {
                        List<Long> sample = new ArrayList<>();
                        sample.add(prefix[i]);
                        for (int k = 0; k < seq; k++) {
                            sample.add(inputs[i * seq + k]);
                        }
                        out.add(sample);
                    }
                }
            }
        }
        return out;
    }
}
