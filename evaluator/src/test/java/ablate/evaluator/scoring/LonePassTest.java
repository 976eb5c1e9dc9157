package ablate.evaluator.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.trainer.data.ByteTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bound on a pass of its own covers every pass the planners make, whatever the budget, with
 * the byte tokenizer (one token per byte, the most any tokenizer the bound holds for gives).
 */
class LonePassTest {
    private static final int EOS = ByteTokenizer.EOS;

    @Test
    void itCountsBytesPlusTheAddedTokenAndStopsAtTheWindow() {
        ModelConfig decoder = TokenScorerTest.debug(Position.LEARNED); // seq-len 64
        ModelConfig t5 = EncoderDecoderScorerTest.t5(Position.LEARNED);
        List<Request> choices = List.of(new Request.LogLikelihood("héllo", " a"), new Request.LogLikelihood("héllo", " bc"));
        assertThat(LonePass.tokens(choices, decoder)).as("6 bytes of context, 2 + 3 of continuations, 1 added to each").isEqualTo(14);
        assertThat(LonePass.tokens(choices, t5)).as("encoder 6 + 1 + EOS, decoder 3 + 1, the copy an eighth of 8").isEqualTo(8 + 4 + 1);
        List<Request> long_ = List.of(new Request.LogLikelihood("x".repeat(100), " y"));
        assertThat(LonePass.tokens(long_, decoder)).isEqualTo(64);
        assertThat(LonePass.tokens(long_, t5)).as("encoder window 64, decoder 2 + 1, copy 8").isEqualTo(75);
        List<Request> rolling = List.of(new Request.Rolling("z".repeat(30)));
        assertThat(LonePass.tokens(rolling, decoder)).isEqualTo(31);
        assertThat(LonePass.tokens(rolling, t5)).as("refused on an encoder-decoder, never scored").isZero();
        List<Request> generate = List.of(new Request.Generate("q", List.of("\n"), 10));
        assertThat(LonePass.tokens(generate, decoder)).isEqualTo(12);
        assertThat(LonePass.tokens(generate, t5)).as("encoder 1 + 1 + EOS, start and 10 new, copy 1").isEqualTo(3 + 11 + 1);
    }

    @Test
    void everyPassThePlannersMakeFitsTheBound() {
        ModelConfig decoder = TokenScorerTest.debug(Position.LEARNED);
        ModelConfig t5 = EncoderDecoderScorerTest.t5(Position.LEARNED);
        Random random = new Random(3);
        try (ByteTokenizer bytes = new ByteTokenizer()) {
            for (int trial = 0; trial < 50; trial++) {
                List<Request> docs = new ArrayList<>();
                List<TokenRequest> tokens = new ArrayList<>();
                List<TokenRequest> pairs = new ArrayList<>();
                for (int d = 0; d < 6; d++) {
                    String context = text(random, random.nextInt(90));
                    for (int c = 0; c < 1 + random.nextInt(4); c++) {
                        // equal contexts (a question's choices) or, now and then, one of its own (winogrande's)
                        String own = random.nextInt(4) == 0 ? text(random, random.nextInt(90)) : context;
                        Request.LogLikelihood r = new Request.LogLikelihood(own, " " + text(random, random.nextInt(30)));
                        docs.add(r);
                        tokens.add(HarnessEncoding.Rule.HARNESS_2022.encode(bytes, r.context(), r.continuation()));
                        pairs.add(HarnessEncoding.Rule.HARNESS_2022.encodeForEncoderDecoder(bytes, r.context(), r.continuation()));
                    }
                }
                for (int budget : new int[] {1, 40, 4096}) {
                    int bound = LonePass.tokens(docs, decoder);
                    for (TokenBatch b : TokenScorer.plan(tokens, decoder.seqLen(), new TokenScorer.Options(budget, true))) {
                        assertThat((long) b.width() * b.rows().size()).as("budget %d: a pass of %d rows", budget, b.rows().size())
                                .isLessThanOrEqualTo(Math.max(budget, bound));
                    }
                    int pairBound = LonePass.tokens(docs, t5);
                    for (PairBatch b : EncoderDecoderScorer.plan(pairs, t5.seqLen(), EOS, EOS, new TokenScorer.Options(budget, true))) {
                        long pass = (long) b.contexts().size() * b.encoderWidth()
                                + (long) b.requests().size() * (b.decoderWidth() + EncoderDecoderScorer.keyValueCopy(b.encoderWidth()));
                        assertThat(pass <= Math.max(budget, pairBound)).as("budget %d: a pass of %d tokens, bound %d", budget, pass,
                                pairBound).isTrue();
                    }
                }
            }
        }
    }

    /** Letters with now and then a two- or three-byte character. */
    private static String text(Random random, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int k = random.nextInt(20);
            s.append(k == 0 ? 'é' : k == 1 ? '€' : (char) ('a' + random.nextInt(26)));
        }
        return s.toString();
    }
}
