package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.Activation;
import ablate.conf.Architecture;
import ablate.conf.AttentionMask;
import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.optim.AdamW;
import ablate.trainer.run.Torch;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llm.c-style parity: the PyTorch peers (ops/bench/torch_gpt.py, ops/bench/torch_encoder_decoder.py;
 * fixtures by ops/parity/make_fixtures.py) and ablate, given the same weights and tokens, agree on
 * logits, loss, clipped gradients and the weights after one AdamW step, for several ablation
 * variants of the decoder and of the encoder-decoder.
 */
class ParityTest {
    static {
        Models.debug();
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned-gelu", "rotary-swiglu-embln", "alibi-gelu-prefix", "none-swiglu", "rotary-half-gelu"})
    void ablateMatchesThePytorchPeer(String variant) throws Exception {
        Path file = Path.of(ParityTest.class.getResource("/parity/" + variant + ".safetensors").toURI());
        JsonNode c = new ObjectMapper().readTree(Safetensors.metadata(file).get("config"));
        ModelConfig config = new ModelConfig(c.get("layers").asInt(), c.get("d_model").asInt(), c.get("heads").asInt(),
                c.get("seq").asInt(), c.get("vocab").asInt(), 1, 0, enumOf(Position.class, c.get("position")),
                enumOf(Activation.class, c.get("activation")), 8, c.get("embedding_layernorm").asBoolean(),
                enumOf(AttentionMask.class, c.get("mask")), c.get("rotary_fraction").asDouble(), 10000, 1e-5, 0.02, 0);
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 0, false)) {
            Map<String, NDArray> weights = gpt.parameters().all();
            for (Map.Entry<String, NDArray> w : weights.entrySet()) {
                Torch.copyInto(w.getValue(), Safetensors.read(file, w.getKey()));
            }
            int b = 2;
            int t = config.seqLen();
            NDArray tokens = longs(m, file, "tokens", new Shape(b, t));
            NDArray targets = longs(m, file, "targets", new Shape(b, t));
            NDArray prefix = longs(m, file, "prefix", new Shape(b));

            float[] expected = Safetensors.read(file, "logits");
            float[] logits = gpt.logits(tokens, prefix, false).toFloatArray();
            System.out.printf(Locale.ROOT, "parity %s: max |dlogit| = %.3g%n", variant, maxAbs(logits, expected));
            assertClose(logits, expected, 2e-5, "logits");
            backwardAndStepMatch(gpt, new Batch.Windows(tokens, targets, prefix), file, c);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"encdec-relative-t5", "encdec-learned-gelu-embln", "encdec-rotary-swiglu", "encdec-alibi-gelu-rmsnorm",
        "encdec-relative-relu", "encdec-relative-geglu"})
    void theEncoderDecoderMatchesThePytorchPeer(String variant) throws Exception {
        Path file = Path.of(ParityTest.class.getResource("/parity/" + variant + ".safetensors").toURI());
        JsonNode c = new ObjectMapper().readTree(Safetensors.metadata(file).get("config"));
        ModelConfig config = new ModelConfig(c.get("layers").asInt(), c.get("d_model").asInt(), c.get("heads").asInt(),
                c.get("seq").asInt(), c.get("vocab").asInt(), 1, 0, enumOf(Position.class, c.get("position")),
                enumOf(Activation.class, c.get("activation")), 8, c.get("embedding_layernorm").asBoolean(), AttentionMask.CAUSAL,
                c.get("rotary_fraction").asDouble(), 10000, 1e-5, 0.02, 0, enumOf(Norm.class, c.get("norm")), c.get("bias").asBoolean(),
                GeluApproximation.NONE, c.get("tied").asBoolean(), false, 0, 0, Architecture.ENCODER_DECODER,
                c.get("relative_buckets").asInt(), c.get("relative_max_distance").asInt());
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 0, false)) {
            for (Map.Entry<String, NDArray> w : model.parameters().all().entrySet()) {
                Torch.copyInto(w.getValue(), Safetensors.read(file, w.getKey()));
            }
            NDArray decoderTokens = longs(m, file, "decoder_tokens", new Shape(2, 8));
            Batch.Pairs pairs = new Batch.Pairs(longs(m, file, "encoder_tokens", new Shape(2, config.seqLen())),
                    longs(m, file, "encoder_lengths", new Shape(2)), decoderTokens, longs(m, file, "targets", new Shape(2, 8)));
            float[] expected = Safetensors.read(file, "logits");
            float[] logits = model.logits(pairs, false).toFloatArray();
            System.out.printf(Locale.ROOT, "parity %s: max |dlogit| = %.3g%n", variant, maxAbs(logits, expected));
            assertClose(logits, expected, 2e-5, "logits");
            backwardAndStepMatch(model, pairs, file, c);
        }
    }

    /** Loss, clipped gradients and the weights after one AdamW step agree with the fixture's. */
    private static void backwardAndStepMatch(LanguageModel model, Batch batch, Path file, JsonNode c) throws java.io.IOException {
        Map<String, NDArray> weights = model.parameters().all();
        AdamW adam = new AdamW(model.parameters(), new AdamW.Settings(c.get("betas").get(0).asDouble(),
                c.get("betas").get(1).asDouble(), c.get("eps").asDouble(), c.get("weight_decay").asDouble()));
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray loss = model.loss(batch, true);
            assertThat((double) loss.getFloat()).as("loss")
                    .isCloseTo(Safetensors.read(file, "loss")[0], org.assertj.core.api.Assertions.within(2e-6));
            collector.backward(loss);
        }
        double norm = adam.clipGradients(c.get("clip").asDouble());
        assertThat(norm).as("grad norm").isCloseTo(Safetensors.read(file, "grad_norm")[0],
                org.assertj.core.api.Assertions.within(1e-5));
        for (Map.Entry<String, NDArray> w : weights.entrySet()) {
            assertClose(w.getValue().getGradient().toFloatArray(), Safetensors.read(file, "grad." + w.getKey()), 1e-6,
                    "clipped gradient of " + w.getKey());
        }
        double lr = c.get("lr").asDouble();
        adam.step(lr);
        // Adam's first step moves a weight by lr * g / (|g| + eps): where |g| is within a few orders of
        // eps, that ratio turns fp32 rounding of g into large step differences, so only weights with
        // |g| > 100 eps = 1e-6 are compared, to 1e-6.
        long comparedTotal = 0;
        long total = 0;
        for (Map.Entry<String, NDArray> w : weights.entrySet()) {
            float[] grad = Safetensors.read(file, "grad." + w.getKey());
            float[] actual = w.getValue().toFloatArray();
            float[] expected = Safetensors.read(file, "next." + w.getKey());
            int compared = 0;
            for (int i = 0; i < grad.length; i++) {
                if (Math.abs(grad[i]) > 1e-6) {
                    actual[compared] = actual[i];
                    expected[compared] = expected[i];
                    compared++;
                }
            }
            comparedTotal += compared;
            total += grad.length;
            assertClose(java.util.Arrays.copyOf(actual, compared), java.util.Arrays.copyOf(expected, compared), 1e-6,
                    w.getKey() + " after one AdamW step");
        }
        assertThat(comparedTotal).as("weights compared after the step").isGreaterThan(total / 2);
    }

    private static double maxAbs(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static NDArray longs(NDManager m, Path file, String name, Shape shape) throws java.io.IOException {
        float[] f = Safetensors.read(file, name);
        long[] values = new long[f.length];
        for (int i = 0; i < f.length; i++) {
            values[i] = (long) f[i];
        }
        return m.create(values, shape);
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, JsonNode value) {
        return Enum.valueOf(type, value.asText().toUpperCase(Locale.ROOT));
    }

    /** |a - b| <= tolerance * (1 + |b|) everywhere, reporting the worst element. */
    private static void assertClose(float[] actual, float[] expected, double tolerance, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
            if (err > worst) {
                worst = err;
                at = i;
            }
        }
        assertThat(worst).as("%s: worst relative difference at %d (%s vs %s)", what, at, actual[at], expected[at])
                .isLessThanOrEqualTo(tolerance);
    }
}
