package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import ablate.conf.Activation;
import ablate.conf.Position;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.data.ByteTokenizer;
import ablate.trainer.data.Sampler;
import ablate.trainer.data.SpanCorruption;
import ablate.trainer.model.Batch;
import ablate.trainer.model.EncoderDecoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** An encoder-decoder trained with span corruption through the normal Trainer: its batches, learning, determinism, fp16. */
class EncoderDecoderTrainingTest {

    private static RunConfig config(String... overrides) {
        List<String> all = new ArrayList<>(List.of("model.architecture=encoder-decoder", "train.threads=2",
                "train.eval-sequences=16", "data.builtin.train-documents=2000"));
        all.addAll(List.of(overrides));
        return Settings.load(Settings.Sources.ofPreset("debug", all.toArray(String[]::new)));
    }

    /**
     * A micro-batch holds the span corruption of the sampler's samples of 70 tokens (the longest
     * whose input fits seq-len 64): encoder inputs of 64 tokens, targets of 14, the decoder reading
     * the targets shifted right behind EOS; input and target together restore the sample.
     */
    @Test
    void batchesAreSpanCorruptedSamplesWithTheTargetShiftedBehindEos() {
        RunConfig config = config();
        try (TrainingData data = TrainingData.open(config.data(), 1, Path.of("")); Trainer t = new Trainer(config, data)) {
            assertThat(t.model()).isInstanceOf(EncoderDecoder.class);
            int mb = config.train().microBatchSize();
            Batch.Pairs pairs = (Batch.Pairs) t.batch(2, 1);
            assertThat(pairs.encoderInputs().getShape().getShape()).containsExactly(mb, 64);
            assertThat(pairs.encoderLengths().toLongArray()).containsOnly(64L);
            assertThat(pairs.decoderInputs().getShape().getShape()).containsExactly(mb, 14);
            long[] encoder = pairs.encoderInputs().toLongArray();
            long[] decoder = pairs.decoderInputs().toLongArray();
            long[] targets = pairs.targets().toLongArray();
            Sampler sampler = new Sampler(data.sources(), 69, config.train().seed());
            SpanCorruption corruption = SpanPairs.of(config.model(), ByteTokenizer.EOS, config.train().seed()).corruption();
            long first = 2L * config.train().globalBatchSize() + mb;
            for (int b = 0; b < mb; b++) {
                int[] input = toInts(Arrays.copyOfRange(encoder, b * 64, (b + 1) * 64));
                int[] target = toInts(Arrays.copyOfRange(targets, b * 14, (b + 1) * 14));
                int[] sample = new int[70];
                sampler.sample(first + b, sample);
                assertThat(corruption.restore(new SpanCorruption.Corrupted(input, target))).as("row %d", b).containsExactly(sample);
                assertThat(target[0]).as("a target starts with the first sentinel").isEqualTo(319);
                assertThat(decoder[b * 14]).isEqualTo(ByteTokenizer.EOS);
                assertThat(Arrays.copyOfRange(decoder, b * 14 + 1, (b + 1) * 14)).containsExactly(Arrays.copyOfRange(targets, b * 14,
                        (b + 1) * 14 - 1));
            }
        }
    }

    static List<Arguments> axisMatrix() {
        return ablate.trainer.model.Models.encoderDecoderAxes();
    }

    /** As TrainingTest for the decoders: validation loss (span corruption's) falls well below chance in 40 steps. */
    @ParameterizedTest(name = "{0}, {1}, emb-ln {2}")
    @MethodSource("axisMatrix")
    void trainingLowersTheLossForEveryVariant(Position p, Activation a, boolean norm) {
        RunConfig config = config("model.position=" + p.name().toLowerCase(), "model.activation=" + a.name().toLowerCase(),
                "model.embedding-layernorm=" + norm, "train.steps=40");
        TrainingTest.assertLearnsIn40Steps(config);
    }

    @Test
    void theSameSeedAndConfigGiveTheSameLosses() {
        RunConfig config = config("model.dropout=0.1", "model.position=rotary");
        double[][] losses = new double[2][8];
        for (int run = 0; run < 2; run++) {
            try (TrainingData data = TrainingData.open(config.data(), 1, Path.of("")); Trainer t = new Trainer(config, data)) {
                for (int i = 0; i < 8; i++) {
                    StepMetrics m = t.step();
                    losses[run][i] = m.loss() + m.gradNorm();
                }
                losses[run][7] += t.validationLoss();
            }
        }
        assertThat(losses[1]).containsExactly(losses[0]);
        RunConfig other = config("model.dropout=0.1", "model.position=rotary", "train.seed=99");
        try (TrainingData data = TrainingData.open(other.data(), 1, Path.of("")); Trainer t = new Trainer(other, data)) {
            StepMetrics m = t.step();
            assertThat(m.loss() + m.gradNorm()).isNotEqualTo(losses[0][0]);
        }
    }

    /** fp16 weights and activations with fp32 masters follow the fp32 run within 1% per step (before any skipped step). */
    @Test
    void anFp16RunFollowsTheFp32Run() {
        RunConfig fp32Config = config("train.steps=12");
        RunConfig fp16Config = config("train.steps=12", "train.precision=fp16");
        try (TrainingData data = TrainingData.open(fp32Config.data(), 1, Path.of(""));
                Trainer fp32 = new Trainer(fp32Config, data);
                Trainer fp16 = new Trainer(fp16Config, data)) {
            for (int i = 0; i < 12; i++) {
                double want = fp32.step().loss();
                double got = fp16.step().loss();
                if (fp16.state().lossScale().skippedSteps() == 0) {
                    assertThat(got).as("step %d", i + 1).isCloseTo(want, withinPercentage(1));
                }
            }
            assertThat(fp16.state().lossScale().skippedSteps()).as("no step skipped in the first 12").isZero();
        }
    }

    private static int[] toInts(long[] values) {
        return Arrays.stream(values).mapToInt(Math::toIntExact).toArray();
    }
}
