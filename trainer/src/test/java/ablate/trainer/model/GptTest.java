package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.Settings;
import ablate.trainer.run.Torch;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GptTest {
    static Iterable<?> axisMatrix() {
        return Models.axisMatrix();
    }

    @ParameterizedTest(name = "{0}, {1}, emb-ln {2}, {3}")
    @MethodSource("axisMatrix")
    void analyticParameterCountAndShapesEqualTheBuiltModel(Position p, Activation a, boolean norm, AttentionMask mask) {
        ModelConfig config = Models.debug(p, a, norm, mask);
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 1, false)) {
            assertThat(gpt.parameters().count()).isEqualTo(new ModelSize(config).total());
            assertThat(shapes(gpt)).as("names, shapes and order without building").containsExactlyEntriesOf(new ModelSize(config).shapes());
            assertThat(new ModelSize(config).largestTensor())
                    .isEqualTo(gpt.parameters().all().values().stream().mapToLong(w -> w.getShape().size()).max().orElseThrow());
        }
    }

    /** A built model's weights by name with their shapes, in creation order. */
    static java.util.Map<String, ai.djl.ndarray.types.Shape> shapes(Gpt gpt) {
        java.util.Map<String, ai.djl.ndarray.types.Shape> out = new java.util.LinkedHashMap<>();
        gpt.parameters().all().forEach((name, a) -> out.put(name, a.getShape()));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"debug", "tiny", "small", "125m", "350m", "1b3"})
    void presetsThatFitInMemoryHaveTheirAnalyticCount(String preset) {
        ModelConfig base = Settings.load(Settings.Sources.ofPreset(preset)).model();
        for (ModelConfig config : new ModelConfig[] {base,
            Models.with(base, Position.ALIBI, Activation.SWIGLU, true)}) {
            try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 1, false)) {
                assertThat(gpt.parameters().count()).as(preset).isEqualTo(new ModelSize(config).total());
            }
        }
    }

    @org.junit.jupiter.api.Test
    void the176bPresetHasBloomsParameterCount() {
        ModelConfig bloom = Settings.load(Settings.Sources.ofPreset("176b")).model();
        assertThat(new ModelSize(bloom).total()).isEqualTo(176_247_271_424L);
    }

    static Iterable<Arguments> gradientCases() {
        return java.util.List.of(
                Arguments.of(Position.LEARNED, Activation.GELU, false, AttentionMask.CAUSAL),
                Arguments.of(Position.ROTARY, Activation.SWIGLU, true, AttentionMask.CAUSAL),
                Arguments.of(Position.ALIBI, Activation.GELU, true, AttentionMask.PREFIX),
                Arguments.of(Position.NONE, Activation.SWIGLU, false, AttentionMask.PREFIX),
                Arguments.of(Position.RELATIVE, Activation.GELU, false, AttentionMask.CAUSAL),
                Arguments.of(Position.RELATIVE, Activation.SWIGLU, true, AttentionMask.PREFIX),
                Arguments.of(Position.ALIBI, Activation.GEGLU, false, AttentionMask.PREFIX),
                Arguments.of(Position.ROTARY, Activation.RELU, true, AttentionMask.CAUSAL));
    }

    /**
     * Central finite differences against autograd, for the coordinate with the largest gradient of
     * every weight: checks the backward pass of every block. fp32, so the tolerance is loose.
     */
    @ParameterizedTest(name = "{0}, {1}, emb-ln {2}, {3}")
    @MethodSource("gradientCases")
    void gradientsMatchFiniteDifferences(Position p, Activation a, boolean norm, AttentionMask mask) {
        ModelConfig config = Models.debug(p, a, norm, mask);
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 3, true)) {
            int b = 2;
            int t = 12;
            Random random = new Random(5);
            long[] in = new long[b * t];
            long[] out = new long[b * t];
            for (int i = 0; i < in.length; i++) {
                in[i] = random.nextInt(257);
                out[i] = random.nextInt(257);
            }
            NDArray tokens = m.create(in, new Shape(b, t));
            NDArray targets = m.create(out, new Shape(b, t));
            NDArray prefix = m.create(new long[] {4, 7});
            try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                c.backward(gpt.loss(tokens, targets, prefix, false));
            }
            for (Map.Entry<String, NDArray> e : gpt.parameters().all().entrySet()) {
                NDArray w = e.getValue();
                float[] grad = w.getGradient().toFloatArray();
                int k = 0;
                for (int i = 1; i < grad.length; i++) {
                    if (Math.abs(grad[i]) > Math.abs(grad[k])) {
                        k = i;
                    }
                }
                float[] values = w.toFloatArray();
                float h = 1e-2f * Math.max(1f, Math.abs(values[k]));
                double plus = lossWith(gpt, w, values, k, values[k] + h, tokens, targets, prefix);
                double minus = lossWith(gpt, w, values, k, values[k] - h, tokens, targets, prefix);
                Torch.copyInto(w, values);
                FamilyTest.assertDerivative("d loss / d " + e.getKey() + "[" + k + "]", grad[k], minus, plus, h, a);
            }
        }
    }

    private static double lossWith(Gpt gpt, NDArray w, float[] values, int k, float value, NDArray tokens, NDArray targets,
            NDArray prefix) {
        float[] changed = values.clone();
        changed[k] = value;
        Torch.copyInto(w, changed);
        return gpt.loss(tokens, targets, prefix, false).getFloat();
    }
}
