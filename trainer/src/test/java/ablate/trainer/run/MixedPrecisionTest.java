package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.checkpoint.Checkpoints;
import ablate.trainer.checkpoint.TrainingState;
import ablate.trainer.optim.LossScale;
import ablate.trainer.optim.WeightUpdate;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fp16 training on CPU libtorch: fp16 weights and activations, fp32 masters, dynamic loss scaling. */
class MixedPrecisionTest {
    @TempDir
    Path tmp;

    private static RunConfig config(String... overrides) {
        List<String> all = new ArrayList<>(List.of("train.threads=2", "data.builtin.train-documents=2000", "train.steps=30",
                "train.eval-sequences=16", "train.decay-steps=30"));
        all.addAll(List.of(overrides));
        return Settings.load(Settings.Sources.ofPreset("debug", all.toArray(String[]::new)));
    }

    /**
     * Until its first skipped step an fp16 run follows the fp32 run within 1% per step. The debug
     * preset's high learning rate makes a loss spike near step 17 whose gradient (norm ~280)
     * overflows fp16 at the initial scale: those steps are skipped and the scale falls until they
     * pass, after which the run ends where the fp32 run does.
     */
    @Test
    void anFp16RunTrainsLikeTheFp32Run() {
        RunConfig fp32Config = config();
        RunConfig fp16Config = config("train.precision=fp16");
        try (TrainingData data = TrainingData.open(fp32Config.data(), 1, tmp);
                Trainer fp32 = new Trainer(fp32Config, data);
                Trainer fp16 = new Trainer(fp16Config, data)) {
            double first = Double.NaN;
            double[] last = new double[2];
            for (int i = 0; i < 30; i++) {
                last[0] = fp32.step().loss();
                StepMetrics m = fp16.step();
                last[1] = m.loss();
                first = i == 0 ? m.loss() : first;
                if (fp16.state().lossScale().skippedSteps() == 0) {
                    assertThat(last[1]).as("step %d", i + 1).isCloseTo(last[0], withinPercentage(1));
                }
            }
            assertThat(fp16.state().lossScale().skippedSteps()).as("the spike's steps were skipped").isPositive();
            assertThat(last[1]).as("fp16 loss after 30 steps").isLessThan(0.6 * first).isCloseTo(last[0], withinPercentage(5));
        }
    }

    @Test
    void anOverflowSkipsTheStepHalvesTheScaleAndLeavesTheWeightsAlone() {
        // 2^100 times the loss overflows fp16 in the first backward: every fp16 gradient is inf
        RunConfig config = config("train.precision=fp16", "train.loss-scale.initial=1.2676506002282294e30",
                "train.loss-scale.hysteresis=1");
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer t = new Trainer(config, data)) {
            Map<String, ByteBuffer> weights = snapshot(t.checkpointContents("", List.of()).model());
            Map<String, ByteBuffer> moments = snapshot(t.checkpointContents("", List.of()).optimizer());
            Map<String, ByteBuffer> half = snapshot(t.model().parameters().all());
            StepMetrics m = t.step();
            assertThat(m.scaling().skipped()).isTrue();
            assertThat(m.gradNorm()).isNaN();
            assertThat(t.state().lossScale()).isEqualTo(new LossScale(true, Math.scalb(1.0, 99), 0, 0, 1));
            assertThat(t.state().step()).as("the data and the step count advance").isEqualTo(1);
            assertThat(t.state().optimizerSteps()).as("AdamW's t does not").isZero();
            assertThat(snapshot(t.checkpointContents("", List.of()).model())).as("fp32 masters").isEqualTo(weights);
            assertThat(snapshot(t.checkpointContents("", List.of()).optimizer())).as("AdamW moments").isEqualTo(moments);
            assertThat(snapshot(t.model().parameters().all())).as("fp16 weights").isEqualTo(half);
            assertThat(t.model().parameters().get("wte").getGradient().toType(DataType.FLOAT32, false).abs().sum().getFloat())
                    .as("gradients are cleared").isZero();
        }
    }

    @Test
    void aHugeInitialScaleFallsUntilStepsSucceedAndTrainingProceeds() {
        RunConfig config = config("train.precision=fp16", "train.loss-scale.initial=1e12", "train.loss-scale.hysteresis=1");
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer t = new Trainer(config, data)) {
            int skipped = 0;
            double first = Double.NaN;
            double last = Double.NaN;
            for (int i = 0; i < 30; i++) {
                StepMetrics m = t.step();
                skipped += m.scaling().skipped() ? 1 : 0;
                first = i == 0 ? m.loss() : first;
                last = m.loss();
            }
            assertThat(skipped).isBetween(1, 29).isEqualTo((int) t.state().lossScale().skippedSteps());
            assertThat(t.state().lossScale().scale()).isLessThan(1e12);
            assertThat(last).isLessThan(0.85 * first);
        }
    }

    @Test
    void aResumedFp16RunRepeatsTheUninterruptedLossesAndScales() throws IOException {
        // a scale that overflows at first and a short window, so skips, halvings and growth all happen before and after the checkpoint
        RunConfig config = config("train.precision=fp16", "train.loss-scale.initial=1e9", "train.loss-scale.window=3",
                "train.loss-scale.hysteresis=2", "model.dropout=0.1", "model.attention-mask=prefix");
        Checkpoints checkpoints = new Checkpoints(tmp.resolve("checkpoints"), 20);
        List<Double> expected = new ArrayList<>();
        List<TrainingState> states = new ArrayList<>();
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer a = new Trainer(config, data)) {
            for (int i = 0; i < 16; i++) {
                expected.add(a.step().loss());
                states.add(a.state());
                if (a.state().step() == 8) {
                    checkpoints.save(a.checkpointContents(config.render(), List.of()));
                }
            }
        }
        assertThat(states.get(7).lossScale().skippedSteps()).as("steps were skipped before the checkpoint").isPositive();
        try (TrainingData data = TrainingData.open(config.data(), 1, tmp); Trainer b = new Trainer(config, data)) {
            b.restore(checkpoints.recover().orElseThrow());
            assertThat(b.state()).isEqualTo(states.get(7));
            for (int i = 8; i < 16; i++) {
                assertThat(b.step().loss()).as("step %d", i + 1).isEqualTo(expected.get(i));
                assertThat(b.state()).isEqualTo(states.get(i));
            }
        }
    }

    /** The arrays' bytes by name (ByteBuffer equality compares contents). */
    private static Map<String, ByteBuffer> snapshot(Map<String, NDArray> arrays) {
        Map<String, ByteBuffer> copy = new LinkedHashMap<>();
        arrays.forEach((k, v) -> copy.put(k, ByteBuffer.wrap(v.toByteArray())));
        return copy;
    }
}
