package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ablate.conf.Activation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.conf.SettingsException;
import ablate.trainer.optim.AdamW;
import ablate.trainer.run.Torch;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The T5-style encoder-decoder: what each stack sees, padding, weights and their count, gradients, learning. */
class EncoderDecoderTest {
    private static final int S = 20; // encoder tokens
    private static final int T = 8; // decoder tokens

    static List<Arguments> axisMatrix() {
        return Models.encoderDecoderAxes();
    }

    @ParameterizedTest(name = "{0}, {1}, emb-ln {2}")
    @MethodSource("axisMatrix")
    void analyticParameterCountAndShapesEqualTheBuiltModel(Position p, Activation a, boolean embeddingNorm) {
        for (Norm norm : Norm.values()) {
            for (boolean bias : new boolean[] {true, false}) {
                for (boolean tied : new boolean[] {true, false}) {
                    for (int kv : new int[] {0, 2}) {
                        ModelConfig config = Models.family(Models.encoderDecoder(p, a, embeddingNorm), norm, bias, tied, kv);
                        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 1, false)) {
                            assertThat(model.parameters().count()).as("%s", config).isEqualTo(new ModelSize(config).total());
                            Map<String, Shape> built = new java.util.LinkedHashMap<>();
                            model.parameters().all().forEach((name, w) -> built.put(name, w.getShape()));
                            assertThat(built).as("names, shapes and order without building: %s", config)
                                    .containsExactlyEntriesOf(new ModelSize(config).shapes());
                            assertThat(new ModelSize(config).largestTensor()).isEqualTo(
                                    built.values().stream().mapToLong(Shape::size).max().orElseThrow());
                        }
                    }
                }
            }
        }
    }

    @Test
    void weightsAreNamedByStackAndTheTokenEmbeddingIsShared() {
        ModelConfig config = Models.encoderDecoder(Position.LEARNED, Activation.GELU, true);
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 1, false)) {
            Map<String, NDArray> all = model.parameters().all();
            assertThat(all).containsKeys("wte", "encoder.wpe", "encoder.emb_ln.weight", "encoder.h.0.attn.qkv.weight",
                    "encoder.h.1.mlp.proj.weight", "encoder.ln_f.weight", "decoder.wpe", "decoder.emb_ln.bias",
                    "decoder.h.0.attn.qkv.weight", "decoder.h.0.ln_cross.weight", "decoder.h.1.cross.q.weight",
                    "decoder.h.1.cross.kv.bias", "decoder.h.1.cross.proj.weight", "decoder.ln_f.bias");
            assertThat(all.keySet()).allMatch(n -> n.equals("wte") || n.startsWith("encoder.") || n.startsWith("decoder."));
            assertThat(all).doesNotContainKey("lm_head.weight");
            assertThat(all.keySet().stream().filter(n -> n.startsWith("encoder.")).map(n -> n.substring("encoder.".length())))
                    .as("the encoder's weights are a decoder's, under encoder.")
                    .allMatch(n -> n.equals("wpe") || n.startsWith("emb_ln.") || n.startsWith("ln_f.") || n.matches("h\\.\\d\\.(ln1|attn|ln2|mlp)\\..*"));
            assertThat(all.get("decoder.h.0.cross.kv.weight").getShape()).isEqualTo(new Shape(2 * config.dModel(), config.dModel()));
        }
        ModelConfig untied = Models.family(config, Norm.LAYERNORM, true, false, 0);
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, untied, 1, false)) {
            assertThat(model.parameters().all()).containsKey("lm_head.weight");
        }
    }

    @ParameterizedTest
    @EnumSource(Position.class)
    void theEncoderSeesItsWholeInput(Position position) {
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = model(m, position)) {
            long[] input = tokens(S, 3);
            long[] edited = input.clone();
            edited[S - 1] = (input[S - 1] + 17) % 257;
            NDArray a = model.encode(m.create(input, new Shape(1, S)), m.create(new long[] {S}), false);
            NDArray b = model.encode(m.create(edited, new Shape(1, S)), m.create(new long[] {S}), false);
            for (int s = 0; s < S - 1; s++) {
                assertThat(row(b, s)).as("encoder position %d sees the last token", s).isNotEqualTo(row(a, s));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Position.class)
    void theDecoderSeesOnlyEarlierTargets(Position position) {
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = model(m, position)) {
            long[] input = tokens(S, 3);
            long[] target = tokens(T, 5);
            int changed = 5;
            long[] edited = target.clone();
            edited[changed] = (target[changed] + 17) % 257;
            NDArray a = logits(model, m, input, S, target);
            NDArray b = logits(model, m, input, S, edited);
            for (int t = 0; t < changed; t++) {
                assertThat(row(b, t)).as("decoder position %d", t).containsExactly(row(a, t));
            }
            for (int t = changed; t < T; t++) {
                assertThat(row(b, t)).as("decoder position %d", t).isNotEqualTo(row(a, t));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Position.class)
    void everyEncoderTokenReachesEveryDecoderPosition(Position position) {
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = model(m, position)) {
            long[] input = tokens(S, 3);
            long[] target = tokens(T, 5);
            NDArray a = logits(model, m, input, S, target);
            for (int j = 0; j < S; j++) {
                long[] edited = input.clone();
                edited[j] = (input[j] + 17) % 257;
                NDArray b = logits(model, m, edited, S, target);
                for (int t = 0; t < T; t++) {
                    assertThat(row(b, t)).as("decoder position %d after encoder token %d changed", t, j).isNotEqualTo(row(a, t));
                }
            }
        }
    }

    /** Padding after a row's length changes nothing the model says about the row, and the padded row is the short row. */
    @ParameterizedTest
    @EnumSource(Position.class)
    void encoderPaddingIsMasked(Position position) {
        int length = 13;
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = model(m, position)) {
            long[] input = tokens(S, 3);
            long[] otherPadding = input.clone();
            for (int j = length; j < S; j++) {
                otherPadding[j] = (input[j] * 7 + 1) % 257;
            }
            long[] target = tokens(T, 5);
            NDArray a = logits(model, m, input, length, target);
            NDArray b = logits(model, m, otherPadding, length, target);
            assertThat(b.toFloatArray()).as("decoder logits with other padding").containsExactly(a.toFloatArray());
            NDArray encodedA = model.encode(m.create(input, new Shape(1, S)), m.create(new long[] {length}), false);
            NDArray encodedB = model.encode(m.create(otherPadding, new Shape(1, S)), m.create(new long[] {length}), false);
            for (int s = 0; s < length; s++) {
                assertThat(row(encodedB, s)).as("encoder position %d", s).containsExactly(row(encodedA, s));
            }
            NDArray unpadded = logits(model, m, java.util.Arrays.copyOf(input, length), length, target);
            float[] x = unpadded.toFloatArray();
            float[] y = a.toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).as("logit %d of the padded row", i).isCloseTo(x[i], within(1e-5f));
            }
        }
    }

    @Test
    void twoRowsOfABatchKeepTheirOwnLengths() {
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = model(m, Position.ROTARY)) {
            long[] first = tokens(S, 3);
            long[] second = tokens(S, 4);
            long[] target = tokens(T, 5);
            long[] both = new long[2 * S];
            System.arraycopy(first, 0, both, 0, S);
            System.arraycopy(second, 0, both, S, S);
            long[] targets = new long[2 * T];
            System.arraycopy(target, 0, targets, 0, T);
            System.arraycopy(target, 0, targets, T, T);
            NDArray batch = model.logits(new Batch.Pairs(m.create(both, new Shape(2, S)), m.create(new long[] {S, 9}),
                    m.create(targets, new Shape(2, T)), m.create(targets, new Shape(2, T))), false);
            float[] alone = logits(model, m, java.util.Arrays.copyOf(second, 9), 9, target).toFloatArray();
            float[] inBatch = batch.get(1).toFloatArray();
            for (int i = 0; i < alone.length; i++) {
                assertThat(inBatch[i]).isCloseTo(alone[i], within(1e-5f));
            }
        }
    }

    static List<Arguments> positionsAndKeyValueHeads() {
        return java.util.Arrays.stream(Position.values()).flatMap(p -> java.util.stream.Stream.of(Arguments.of(p, false),
                Arguments.of(p, true))).toList();
    }

    /**
     * Decoder rows reading shared encoder rows (each layer's cross-attention keys and values
     * projected once per encoder row) give the logits of the same rows reading the encoder rows
     * repeated, one per decoder row, with and without grouped-query cross-attention.
     */
    @ParameterizedTest(name = "{0}, grouped {1}")
    @MethodSource("positionsAndKeyValueHeads")
    void decoderRowsSharingEncoderRowsReadWhatTheRepeatedRowsSay(Position position, boolean grouped) {
        ModelConfig config = Models.encoderDecoder(position, Activation.GELU, false);
        if (grouped) {
            config = Models.family(config, config.norm(), config.bias(), config.tiedOutput(), 1);
        }
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 7, true)) {
            long[] inputs = new long[2 * S];
            System.arraycopy(tokens(S, 3), 0, inputs, 0, S);
            System.arraycopy(tokens(S, 4), 0, inputs, S, S);
            long[] lengths = {11, S};
            long[] reads = {1, 0, 1, 1};
            long[] decoder = new long[reads.length * T];
            long[] repeated = new long[reads.length * S];
            long[] repeatedLengths = new long[reads.length];
            for (int r = 0; r < reads.length; r++) {
                System.arraycopy(tokens(T, 5 + r), 0, decoder, r * T, T);
                System.arraycopy(inputs, (int) reads[r] * S, repeated, r * S, S);
                repeatedLengths[r] = lengths[(int) reads[r]];
            }
            NDArray memory = model.encode(m.create(inputs, new Shape(2, S)), m.create(lengths), false);
            NDArray shared = model.decode(memory, m.create(lengths), m.create(reads), m.create(decoder, new Shape(reads.length, T)), false);
            NDArray perRow = model.encode(m.create(repeated, new Shape(reads.length, S)), m.create(repeatedLengths), false);
            NDArray each = model.decode(perRow, m.create(repeatedLengths), m.create(decoder, new Shape(reads.length, T)), false);
            assertThat(shared.getShape()).isEqualTo(each.getShape());
            float[] a = shared.toFloatArray();
            float[] b = each.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).as("logit %d", i).isCloseTo(b[i], within(1e-5f));
            }
        }
    }

    @Test
    void parallelResidualIsRefusedNamingTheKey() {
        ModelConfig m = Models.encoderDecoder();
        ModelConfig parallel = new ModelConfig(m.layers(), m.dModel(), m.heads(), m.seqLen(), m.vocabSize(), m.padVocabToMultipleOf(),
                m.ffnHidden(), m.position(), m.activation(), m.swigluMultipleOf(), m.embeddingLayerNorm(), m.attentionMask(),
                m.rotaryFraction(), m.rotaryBase(), m.layerNormEpsilon(), m.initStd(), m.dropout(), m.norm(), m.bias(),
                m.geluApproximation(), m.tiedOutput(), true, m.kvHeads(), m.mlpHiddenSize(), m.architecture());
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> new EncoderDecoder(manager, parallel, 1, false)).isInstanceOf(SettingsException.class)
                    .hasMessageContaining("model.parallel-residual");
            assertThatThrownBy(() -> new EncoderDecoder(manager, Models.debug(), 1, false)).isInstanceOf(SettingsException.class)
                    .hasMessageContaining("model.architecture");
        }
    }

    static List<Arguments> gradientCases() {
        return List.of(
                Arguments.of(Position.LEARNED, Activation.GELU, false, Norm.LAYERNORM, true, true, 0),
                Arguments.of(Position.ROTARY, Activation.SWIGLU, true, Norm.RMSNORM, false, true, 2),
                Arguments.of(Position.ALIBI, Activation.GELU, true, Norm.LAYERNORM, true, false, 0),
                Arguments.of(Position.NONE, Activation.SWIGLU, false, Norm.LAYERNORM, true, true, 1),
                Arguments.of(Position.RELATIVE, Activation.SWIGLU, false, Norm.RMSNORM, false, false, 0),
                Arguments.of(Position.RELATIVE, Activation.RELU, false, Norm.RMSNORM, false, true, 0),
                Arguments.of(Position.ALIBI, Activation.GEGLU, true, Norm.LAYERNORM, true, false, 2));
    }

    /**
     * Central finite differences against autograd for the largest-gradient coordinate of every
     * weight, as GptTest checks the decoder: the backward pass of both stacks and the
     * cross-attention. fp32, so the tolerance is loose.
     */
    @ParameterizedTest(name = "{0}, {1}, emb-ln {2}, {3}, bias {4}, tied {5}, kv {6}")
    @MethodSource("gradientCases")
    void gradientsMatchFiniteDifferences(Position p, Activation a, boolean embeddingNorm, Norm norm, boolean bias, boolean tied,
            int kv) {
        ModelConfig config = Models.family(Models.encoderDecoder(p, a, embeddingNorm), norm, bias, tied, kv);
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 3, true)) {
            Batch.Pairs pairs = randomPairs(m, 5);
            try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                c.backward(model.loss(pairs, false));
            }
            for (Map.Entry<String, NDArray> e : model.parameters().all().entrySet()) {
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
                double plus = lossWith(model, w, values, k, values[k] + h, pairs);
                double minus = lossWith(model, w, values, k, values[k] - h, pairs);
                Torch.copyInto(w, values);
                FamilyTest.assertDerivative("d loss / d " + e.getKey() + "[" + k + "]", grad[k], minus, plus, h, a);
            }
        }
    }

    @Test
    void lossFallsOnARepeatedBatch() {
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = model(m, Position.ROTARY)) {
            Batch.Pairs pairs = randomPairs(m, 9);
            AdamW adam = new AdamW(model.parameters(), new AdamW.Settings(0.9, 0.95, 1e-8, 0.0));
            double first = 0;
            double last = 0;
            for (int step = 0; step < 40; step++) {
                try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray loss = model.loss(pairs, true);
                    last = loss.getFloat();
                    c.backward(loss);
                }
                if (step == 0) {
                    first = last;
                }
                adam.clipGradients(1.0);
                adam.step(3e-3);
            }
            assertThat(first).as("an untrained model is near chance, ln 320").isCloseTo(Math.log(320), within(0.3));
            assertThat(last).as("loss after 40 steps on one batch").isLessThan(0.5 * first);
        }
    }

    private static EncoderDecoder model(NDManager m, Position position) {
        return new EncoderDecoder(m, Models.encoderDecoder(position, Activation.GELU, false), 7, true);
    }

    /** Two rows of S random encoder tokens and T random targets, the decoder inputs the targets shifted right behind 256. */
    private static Batch.Pairs randomPairs(NDManager m, long seed) {
        Random random = new Random(seed);
        long[] in = new long[2 * S];
        long[] out = new long[2 * T];
        long[] shifted = new long[2 * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = random.nextInt(257);
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = random.nextInt(257);
            shifted[i] = i % T == 0 ? 256 : out[i - 1];
        }
        return new Batch.Pairs(m.create(in, new Shape(2, S)), m.create(new long[] {S, S - 6}), m.create(shifted, new Shape(2, T)),
                m.create(out, new Shape(2, T)));
    }

    private static double lossWith(EncoderDecoder model, NDArray w, float[] values, int k, float value, Batch.Pairs pairs) {
        float[] changed = values.clone();
        changed[k] = value;
        Torch.copyInto(w, changed);
        return model.loss(pairs, false).getFloat();
    }

    private static long[] tokens(int n, int stride) {
        long[] tokens = new long[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = (i * 37L * stride + 11) % 257;
        }
        return tokens;
    }

    /** Decoder logits (1, T, V) of one encoder row of which the first {@code length} tokens count. */
    private static NDArray logits(EncoderDecoder model, NDManager m, long[] input, int length, long[] target) {
        return model.logits(new Batch.Pairs(m.create(input, new Shape(1, input.length)), m.create(new long[] {length}),
                m.create(target, new Shape(1, target.length)), m.create(target, new Shape(1, target.length))), false);
    }

    private static float[] row(NDArray x, int position) {
        return x.get(new NDIndex("0, {}, :", position)).toFloatArray();
    }
}
