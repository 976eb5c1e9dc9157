package ablate.evaluator.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.Settings;
import ablate.trainer.model.Gpt;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Packing, sharing and batching change nothing but speed. */
class TokenScorerTest {

    static ModelConfig debug(Position position) {
        ModelConfig base = Settings.load(new Settings.Sources("debug", List.of(), List.of())).model();
        return base.withAxes(position, Activation.GELU, false, AttentionMask.CAUSAL);
    }

    @ParameterizedTest
    @EnumSource(Position.class)
    void scoresEqualTheLogSoftmaxOfOneRequestPerForwardPass(Position position) {
        ModelConfig config = debug(position);
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 11, true)) {
            List<TokenRequest> requests = requests(config, 40, 5);
            List<Response.LogLikelihood> packed = new TokenScorer(gpt, new TokenScorer.Options(4096, true)).score(requests);
            List<Response.LogLikelihood> unbatched = new TokenScorer(gpt, new TokenScorer.Options(1, false)).score(requests);
            for (int i = 0; i < requests.size(); i++) {
                Response.LogLikelihood reference = reference(gpt, m, requests.get(i));
                assertThat(unbatched.get(i).logLikelihood()).as("request %d unbatched", i).isCloseTo(reference.logLikelihood(), within(1e-4));
                assertThat(packed.get(i).logLikelihood()).as("request %d packed", i).isCloseTo(unbatched.get(i).logLikelihood(), within(1e-4));
                assertThat(packed.get(i).greedy()).isEqualTo(unbatched.get(i).greedy()).isEqualTo(reference.greedy());
                assertThat(packed.get(i).tokens()).isEqualTo(requests.get(i).continuation().length);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Position.class, names = {"LEARNED", "ALIBI"})
    void inputsLongerThanTheWindowLoseTokensFromTheLeft(Position position) {
        ModelConfig config = debug(position);
        int window = config.seqLen();
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = new Gpt(m, config, 12, true)) {
            Random random = new Random(3);
            int[] context = random.ints(window + 7, 0, 256).toArray();
            int[] continuation = {65, 66, 67};
            TokenRequest longOne = new TokenRequest(context, continuation);
            int[] kept = java.util.Arrays.copyOfRange(context, context.length - (window + 1 - continuation.length), context.length);
            TokenRequest truncated = new TokenRequest(kept, continuation);
            TokenScorer scorer = new TokenScorer(gpt, new TokenScorer.Options(8192, true));
            assertThat(scorer.score(List.of(longOne)).getFirst().logLikelihood())
                    .isCloseTo(reference(gpt, m, truncated).logLikelihood(), within(1e-4));
        }
    }

    @Test
    void aBatchTokensWhoseMaskCouldNotBeOneArrayIsRefusedNamingTheLargestThatFits() {
        int seqLen = 64;
        int largest = (Integer.MAX_VALUE - 8) / seqLen;
        TokenScorer.requireMaskFits(largest, seqLen);
        assertThatThrownBy(() -> TokenScorer.requireMaskFits(largest + 1, seqLen))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--batch-tokens " + String.format(java.util.Locale.ROOT, "%,d", largest + 1)
                        + " is too large for this model's seq-len 64")
                .hasMessageEndingWith(String.format(java.util.Locale.ROOT, "use at most %,d", largest));
    }

    /** Random requests where groups of 2 to 4 share a context, like multiple-choice questions. */
    static List<TokenRequest> requests(ModelConfig config, int questions, long seed) {
        Random random = new Random(seed);
        List<TokenRequest> out = new ArrayList<>();
        for (int q = 0; q < questions; q++) {
            int[] context = random.ints(1 + random.nextInt(config.seqLen() / 2), 0, 257).toArray();
            int choices = 2 + random.nextInt(3);
            for (int c = 0; c < choices; c++) {
                out.add(new TokenRequest(context, random.ints(1 + random.nextInt(6), 0, 257).toArray()));
            }
        }
        return out;
    }

    /** Straight from the definition: one causal forward pass over context + continuation[:-1]. */
    static Response.LogLikelihood reference(Gpt gpt, NDManager m, TokenRequest r) {
        int n = r.context().length + r.continuation().length - 1;
        long[] input = new long[n];
        for (int i = 0; i < n; i++) {
            input[i] = i < r.context().length ? r.context()[i] : r.continuation()[i - r.context().length];
        }
        NDArray logProbs = gpt.logits(m.create(input, new Shape(1, n)), m.create(new long[] {0}), false).logSoftmax(-1);
        double sum = 0;
        boolean greedy = true;
        for (int k = 0; k < r.continuation().length; k++) {
            int at = r.context().length - 1 + k;
            NDArray row = logProbs.get(new NDIndex("0, {}, :", at));
            sum += row.getFloat(r.continuation()[k]);
            greedy &= row.argMax().getLong() == r.continuation()[k];
        }
        return new Response.LogLikelihood(sum, greedy, r.continuation().length);
    }
}
