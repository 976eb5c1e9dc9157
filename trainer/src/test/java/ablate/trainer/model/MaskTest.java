package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a position may see, for every position scheme under both masks. */
class MaskTest {
    private static final int T = 16;
    private static final int PREFIX = 6;

    static Iterable<?> positionsAndMasks() {
        return Models.positionsAndMasks();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("positionsAndMasks")
    void logitsBeforeAChangedTokenDoNotChange(Position position, AttentionMask mask) {
        ModelConfig config = Models.debug(position, Activation.GELU, false, mask);
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 7, true)) {
            long[] tokens = tokens();
            int changed = 10; // after the prefix
            long[] edited = tokens.clone();
            edited[changed] = (tokens[changed] + 17) % 257;
            float[][] a = logits(gpt, m, tokens);
            float[][] b = logits(gpt, m, edited);
            for (int t = 0; t < changed; t++) {
                assertThat(b[t]).as("position %d", t).containsExactly(a[t]);
            }
            assertThat(b[changed]).isNotEqualTo(a[changed]);
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("positionsAndMasks")
    void onlyPrefixLmPositionsSeeLaterTokensOfThePrefix(Position position, AttentionMask mask) {
        ModelConfig config = Models.debug(position, Activation.GELU, false, mask);
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 7, true)) {
            long[] tokens = tokens();
            int changed = PREFIX - 1; // the prefix's last token
            long[] edited = tokens.clone();
            edited[changed] = (tokens[changed] + 17) % 257;
            float[][] a = logits(gpt, m, tokens);
            float[][] b = logits(gpt, m, edited);
            for (int t = 0; t < changed; t++) {
                if (mask == AttentionMask.PREFIX) {
                    assertThat(b[t]).as("prefix position %d sees the whole prefix", t).isNotEqualTo(a[t]);
                } else {
                    assertThat(b[t]).as("causal position %d", t).containsExactly(a[t]);
                }
            }
        }
    }

    private static long[] tokens() {
        long[] tokens = new long[T];
        for (int i = 0; i < T; i++) {
            tokens[i] = (i * 37 + 11) % 257;
        }
        return tokens;
    }

    private static float[][] logits(Gpt gpt, NDManager m, long[] tokens) {
        NDArray out = gpt.logits(m.create(tokens, new Shape(1, T)), m.create(new long[] {PREFIX}), false);
        float[][] rows = new float[T][];
        for (int t = 0; t < T; t++) {
            rows[t] = out.get(new NDIndex("0, {}, :", t)).toFloatArray();
        }
        return rows;
    }
}
