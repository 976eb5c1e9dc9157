package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.trainer.run.Torch;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The settings that make GPT-2, BLOOM, GPT-NeoX and LLaMA fit: counts, gradients and grouped-query attention. */
class FamilyTest {
    static List<Arguments> familyMatrix() {
        List<Arguments> out = new ArrayList<>();
        for (Norm norm : Norm.values()) {
            for (boolean bias : new boolean[] {true, false}) {
                for (boolean tied : new boolean[] {true, false}) {
                    for (boolean parallel : new boolean[] {false, true}) {
                        for (int kv : new int[] {0, 2, 1}) {
                            out.add(Arguments.of(norm, bias, tied, parallel, kv));
                        }
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}, bias {1}, tied {2}, parallel {3}, kv-heads {4}")
    @MethodSource("familyMatrix")
    void analyticParameterCountAndShapesEqualTheBuiltModel(Norm norm, boolean bias, boolean tied, boolean parallel, int kv) {
        for (Activation a : Activation.values()) {
            ModelConfig config = Models.family(Models.debug(Position.ROTARY, a, true, AttentionMask.CAUSAL), norm, bias,
                    GeluApproximation.TANH, tied, parallel, kv, a.gated() ? 72 : 0);
            try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 1, false)) {
                assertThat(gpt.parameters().count()).as("%s", config).isEqualTo(new ModelSize(config).total());
                assertThat(GptTest.shapes(gpt)).as("%s", config).containsExactlyEntriesOf(new ModelSize(config).shapes());
                assertThat(new ModelSize(config).largestTensor())
                        .isEqualTo(gpt.parameters().all().values().stream().mapToLong(w -> w.getShape().size()).max().orElseThrow());
            }
        }
    }

    /**
     * At 125m (ffn 3072, gated width 2048) the gated MLPs' three matrices hold what the ungated ones'
     * two hold, so they cost the same FLOPs; their biases are 2 x 2048 against 3072 per layer.
     */
    @Test
    void everyActivationCostsTheWeightsAndFlopsOfItsKind() {
        ModelConfig base = ablate.conf.Settings.load(ablate.conf.Settings.Sources.ofPreset("125m")).model();
        ModelSize gelu = new ModelSize(base);
        for (Activation a : Activation.values()) {
            ModelSize size = new ModelSize(Models.with(base, base.position(), a, false));
            assertThat(size.total()).as("%s", a).isEqualTo(gelu.total() + (a.gated() ? 12L * (2 * 2048 - 3072) : 0));
            assertThat(size.flopsPerToken()).as("%s", a).isEqualTo(gelu.flopsPerToken());
            assertThat(size.shapes()).as("%s", a).containsKey(a.gated() ? "h.0.mlp.w3.weight" : "h.0.mlp.fc.weight");
        }
    }

    @Test
    void anExplicitMlpHiddenSizeWinsOverTheFormula() {
        ModelConfig base = Models.debug(Position.ROTARY, Activation.SWIGLU, false, AttentionMask.CAUSAL);
        ModelConfig explicit = Models.family(base, Norm.RMSNORM, false, GeluApproximation.NONE, false, false, 0, 72);
        assertThat(explicit.mlpHidden()).isEqualTo(72);
        assertThat(base.mlpHidden()).isNotEqualTo(72);
    }

    /** Grouped-query attention equals multi-head attention whose key/value heads are copied per group. */
    @Test
    void groupedQueryAttentionEqualsMultiHeadWithRepeatedKeysAndValues() {
        ModelConfig base = Models.debug(Position.ROTARY, Activation.SWIGLU, false, AttentionMask.CAUSAL);
        int heads = base.heads();
        int hs = base.headDim();
        int kv = heads / 2;
        ModelConfig gqa = Models.family(base, Norm.RMSNORM, false, GeluApproximation.NONE, false, false, kv, 0);
        ModelConfig mha = Models.family(base, Norm.RMSNORM, false, GeluApproximation.NONE, false, false, 0, 0);
        try (NDManager m = NDManager.newBaseManager(); Gpt grouped = new Gpt(m, gqa, 5, true); Gpt full = new Gpt(m, mha, 6, false)) {
            for (Map.Entry<String, NDArray> e : full.parameters().all().entrySet()) {
                float[] from = grouped.parameters().get(e.getKey()).toFloatArray();
                if (!e.getKey().endsWith("attn.qkv.weight")) {
                    Torch.copyInto(e.getValue(), from);
                    continue;
                }
                int d = base.dModel();
                float[] to = new float[3 * heads * hs * d];
                for (int section = 0; section < 3; section++) {
                    for (int h = 0; h < heads; h++) {
                        int source = section == 0 ? h : heads + (section - 1) * kv + h / (heads / kv);
                        System.arraycopy(from, source * hs * d, to, (section * heads + h) * hs * d, hs * d);
                    }
                }
                Torch.copyInto(e.getValue(), to);
            }
            NDArray tokens = m.arange(0, 24, 1, ai.djl.ndarray.types.DataType.INT64).reshape(2, 12);
            NDArray prefix = m.create(new long[] {0, 0});
            float[] a = grouped.logits(tokens, prefix, false).toFloatArray();
            float[] b = full.logits(tokens, prefix, false).toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).isCloseTo(b[i], within(1e-5f));
            }
        }
    }

    static List<Arguments> gradientCases() {
        return List.of(
                Arguments.of(Position.ROTARY, Activation.SWIGLU, Norm.RMSNORM, false, GeluApproximation.NONE, false, false, 2),
                Arguments.of(Position.ROTARY, Activation.GELU, Norm.LAYERNORM, true, GeluApproximation.NONE, false, true, 0),
                Arguments.of(Position.ALIBI, Activation.GELU, Norm.LAYERNORM, true, GeluApproximation.TANH, true, false, 0),
                Arguments.of(Position.LEARNED, Activation.RELU, Norm.LAYERNORM, true, GeluApproximation.NONE, true, true, 0),
                Arguments.of(Position.ROTARY, Activation.GEGLU, Norm.RMSNORM, false, GeluApproximation.TANH, false, false, 2),
                Arguments.of(Position.NONE, Activation.GEGLU, Norm.LAYERNORM, true, GeluApproximation.NONE, true, false, 0));
    }

    /** Central finite differences against autograd for the largest-gradient coordinate of every weight. */
    @ParameterizedTest(name = "{0}, {1}, {2}, bias {3}, gelu {4}, tied {5}, parallel {6}, kv {7}")
    @MethodSource("gradientCases")
    void gradientsMatchFiniteDifferences(Position p, Activation a, Norm norm, boolean bias, GeluApproximation gelu, boolean tied,
            boolean parallel, int kv) {
        ModelConfig config = Models.family(Models.debug(p, a, false, AttentionMask.CAUSAL), norm, bias, gelu, tied, parallel, kv, 0);
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 3, true)) {
            Random random = new Random(5);
            long[] in = new long[24];
            long[] out = new long[24];
            for (int i = 0; i < in.length; i++) {
                in[i] = random.nextInt(257);
                out[i] = random.nextInt(257);
            }
            NDArray tokens = m.create(in, new Shape(2, 12));
            NDArray targets = m.create(out, new Shape(2, 12));
            NDArray prefix = m.create(new long[] {0, 0});
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
                assertDerivative("d loss / d " + e.getKey() + "[" + k + "]", grad[k], minus, plus, h, a);
            }
        }
    }

    /**
     * Asserts autograd's derivative {@code grad} against the central quotient of the loss at the
     * weight -h and +h, within 2% + 2e-4 (fp32). ReLU's kink at 0 has no derivative: a pre-activation
     * of one token that crosses it within the step bends the quotient, by up to 4% in these models,
     * so ReLU's tolerance is 10%; a wrong backward pass misses by far more.
     */
    static void assertDerivative(String what, double grad, double minus, double plus, double h, Activation a) {
        double relative = a == Activation.RELU ? 0.1 : 2e-2;
        assertThat((plus - minus) / (2 * h)).as(what).isCloseTo(grad, within(relative * Math.abs(grad) + 2e-4));
    }

    private static double lossWith(Gpt gpt, NDArray w, float[] values, int k, float value, NDArray tokens, NDArray targets,
            NDArray prefix) {
        float[] changed = values.clone();
        changed[k] = value;
        Torch.copyInto(w, changed);
        return gpt.loss(tokens, targets, prefix, false).getFloat();
    }
}
