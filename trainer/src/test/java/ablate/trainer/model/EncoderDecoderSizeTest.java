package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ModelSize's accounting of an encoder-decoder, and the decoder it is compared with at equal FLOPs per sequence. */
class EncoderDecoderSizeTest {

    /**
     * The debug shape (2 layers, d 64, 4 heads, GELU 256, padded vocabulary 320, learned positions,
     * biases, LayerNorm, tied head) by hand. A block: norms 2 x 128, attention 64 x 192 + 192 +
     * 64 x 64 + 64 = 16,640, MLP 64 x 256 + 256 + 256 x 64 + 64 = 33,088: 49,984. A stack: 2
     * blocks and a final norm, 100,096; the decoder's blocks add a cross-attention and its norm,
     * 2 x 16,768. Embeddings: 320 x 64 shared, 64 x 64 per stack.
     */
    @Test
    void theDebugShapeIsCountedByHand() {
        ModelSize decoder = new ModelSize(Models.debug());
        ModelSize both = new ModelSize(Models.encoderDecoder());
        assertThat(decoder.total()).isEqualTo(20_480 + 4_096 + 100_096);
        assertThat(both.nonEmbedding()).isEqualTo(100_096 + 100_096 + 2 * 16_768);
        assertThat(both.total()).isEqualTo(20_480 + 2 * 4_096 + 233_728);
        // T5's span corruption of the longest sample whose input fits 64 tokens: 70 tokens, S = 64, T = 14
        assertThat(both.encoderLength()).isEqualTo(64);
        assertThat(both.decoderLength()).isEqualTo(14);
        assertThat(both.tokensPerSequence()).isEqualTo(78);
        // matmul weights of a block W = 192 x 64 + 64 x 64 + 2 x 64 x 256 = 49,152; cross-attention's k, v: 8,192, q and out: 8,192
        double encoderToken = 6 * 2 * (49_152 + 8_192) + 12 * 2 * 64 * 64;
        double decoderToken = 6 * (2 * (49_152 + 8_192) + 64 * 320) + 12 * 2 * 14 * 64 + 12 * 2 * 64 * 64;
        assertThat(both.flopsPerSequence()).isEqualTo(64 * encoderToken + 14 * decoderToken).isEqualTo(63_363_072.0);
        assertThat(both.flopsPerToken()).isEqualTo(63_363_072.0 / 78);
        assertThat(decoder.flopsPerSequence()).isEqualTo(64 * decoder.flopsPerToken());
    }

    /**
     * Wang et al. 2022 matched tokens: a decoder on 626 against an encoder-decoder on 512 + 114. At
     * the debug shape's width the encoder-decoder saves more attention (no S x T block) than its
     * cross-attention projections cost, so equal FLOPs put the decoder at 591 tokens.
     */
    @Test
    void theMatchedDecoderCostsTheEncoderDecodersFlopsNotItsTokens() {
        ModelConfig t5 = Models.debug().withArchitecture(Architecture.ENCODER_DECODER, 512);
        ModelSize both = new ModelSize(t5);
        ModelSize tokens = new ModelSize(t5.withArchitecture(Architecture.CAUSAL_DECODER, 626));
        assertThat(both.flopsPerSequence() / tokens.flopsPerSequence()).isCloseTo(0.913, within(0.001));
        ModelConfig decoder = both.matchedDecoder();
        assertThat(decoder.architecture()).isEqualTo(Architecture.CAUSAL_DECODER);
        assertThat(decoder.seqLen()).isEqualTo(591);
        assertThat(new ModelSize(decoder).matchedEncoderDecoder()).isEqualTo(t5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"debug", "tiny", "small", "125m", "350m", "1b3"})
    void anEncoderDecoderHasAboutTwiceTheParametersOfTheDecoderItMatchesInCompute(String preset) {
        ModelConfig decoder = Settings.load(Settings.Sources.ofPreset(preset)).model();
        ModelConfig matched = new ModelSize(decoder).matchedEncoderDecoder();
        ModelSize d = new ModelSize(decoder);
        ModelSize e = new ModelSize(matched);
        double gap = Math.abs(e.flopsPerSequence() - d.flopsPerSequence());
        for (int other : new int[] {matched.seqLen() - 1, matched.seqLen() + 1}) {
            double otherFlops = new ModelSize(matched.withArchitecture(Architecture.ENCODER_DECODER, other)).flopsPerSequence();
            assertThat(Math.abs(otherFlops - d.flopsPerSequence())).as("seq-len %d is no nearer in FLOPs", other).isGreaterThanOrEqualTo(gap);
        }
        // two stacks and a cross-attention per decoder block (a third of a block's weights); one shared embedding
        assertThat((double) e.nonEmbedding() / d.nonEmbedding()).as("non-embedding parameters").isBetween(2.3, 2.4);
        assertThat((double) e.total() / d.total()).as("parameters").isBetween(1.8, 2.4);
        assertThat(e.flopsPerSequence() / d.flopsPerSequence()).as("FLOPs per sequence").isBetween(0.99, 1.01);
        assertThat(new ModelSize(matched).matchedDecoder()).as("and back").isEqualTo(decoder);
    }

    /** The seq-len search brackets by doubling and bisects: the nearest of every seq-len, for both kinds of model. */
    @Test
    void seqLenForFindsTheNearestSeqLenInFlops() {
        for (ModelConfig model : new ModelConfig[] {Models.debug(), Models.encoderDecoder()}) {
            int low = model.architecture() == Architecture.ENCODER_DECODER ? 2 : 1;
            for (double flops : new double[] {1, 3.3e7, 5.19e7, 4e8}) {
                int best = low;
                for (int n = low; n <= 1000; n++) {
                    if (Math.abs(at(model, n) - flops) < Math.abs(at(model, best) - flops)) {
                        best = n;
                    }
                }
                assertThat(ModelSize.seqLenFor(model, flops)).as("%s at %s FLOPs", model.architecture(), flops).isEqualTo(best);
            }
        }
    }

    private static double at(ModelConfig model, int seqLen) {
        return new ModelSize(model.withArchitecture(model.architecture(), seqLen)).flopsPerSequence();
    }
}
