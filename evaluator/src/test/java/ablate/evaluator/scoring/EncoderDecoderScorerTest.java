package ablate.evaluator.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ablate.conf.Activation;
import ablate.conf.Architecture;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.Settings;
import ablate.trainer.data.ByteTokenizer;
import ablate.trainer.model.Batch;
import ablate.trainer.model.EncoderDecoder;
import ablate.trainer.model.Gpt;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An encoder-decoder scored as the harness's seq2seq models score: each request equals one
 * unbatched forward pass from the definition (context + EOS in the encoder, the start token +
 * continuation[:-1] in the decoder: EOS for ablate's models, another token such as T5's 0 when the
 * model starts with it), and sharing encoder rows, batching and padding change nothing but speed.
 */
class EncoderDecoderScorerTest {
    private static final int EOS = ByteTokenizer.EOS;
    /** A start token other than EOS, as a Hugging Face t5's decoder_start_token_id (its pad id, 0). */
    private static final int START = 0;

    static ModelConfig t5(Position position) {
        ModelConfig debug = Settings.load(new Settings.Sources("debug", List.of(), List.of())).model();
        return debug.withArchitecture(Architecture.ENCODER_DECODER, debug.seqLen())
                .withAxes(position, Activation.GELU, false, AttentionMask.CAUSAL);
    }

    @ParameterizedTest
    @EnumSource(Position.class)
    void scoresEqualOneUnbatchedForwardPassAndDoNotDependOnBatching(Position position) {
        ModelConfig config = t5(position);
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 11, true)) {
            List<TokenRequest> requests = TokenScorerTest.requests(config, 24, 5);
            List<Response.LogLikelihood> shared = new EncoderDecoderScorer(model, EOS, EOS, new TokenScorer.Options(4096, true)).score(requests);
            List<Response.LogLikelihood> unshared = new EncoderDecoderScorer(model, EOS, EOS, new TokenScorer.Options(700, false)).score(requests);
            List<Response.LogLikelihood> alone = new EncoderDecoderScorer(model, EOS, EOS, new TokenScorer.Options(1, false)).score(requests);
            for (int i = 0; i < requests.size(); i++) {
                Response.LogLikelihood reference = reference(model, m, requests.get(i));
                assertThat(alone.get(i).logLikelihood()).as("request %d alone", i).isCloseTo(reference.logLikelihood(), within(1e-4));
                assertThat(shared.get(i).logLikelihood()).as("request %d shared", i).isCloseTo(alone.get(i).logLikelihood(), within(1e-4));
                assertThat(unshared.get(i).logLikelihood()).as("request %d batched", i).isCloseTo(alone.get(i).logLikelihood(), within(1e-4));
                assertThat(shared.get(i).greedy()).isEqualTo(unshared.get(i).greedy()).isEqualTo(alone.get(i).greedy())
                        .isEqualTo(reference.greedy());
                assertThat(shared.get(i).tokens()).isEqualTo(requests.get(i).continuation().length);
            }
        }
    }

    /**
     * The planner puts the model's start token first in every decoder row and leaves the rest as
     * before: the targets are the continuation, the decoder reads them shifted right, and the
     * encoder input still ends with EOS.
     */
    @Test
    void decoderRowsBeginWithTheGivenStartTokenAndTheTargetsAreTheContinuation() {
        ModelConfig config = t5(Position.LEARNED);
        List<TokenRequest> requests = TokenScorerTest.requests(config, 24, 6);
        for (TokenScorer.Options options : List.of(new TokenScorer.Options(4096, true), new TokenScorer.Options(300, false))) {
            List<PairBatch> behindStart = EncoderDecoderScorer.plan(requests, config.seqLen(), EOS, START, options);
            List<PairBatch> behindEos = EncoderDecoderScorer.plan(requests, config.seqLen(), EOS, EOS, options);
            assertThat(behindStart).hasSameSizeAs(behindEos);
            int rows = 0;
            for (int b = 0; b < behindStart.size(); b++) {
                assertThat(behindStart.get(b).requests()).as("the same cut").isEqualTo(behindEos.get(b).requests());
                for (PairBatch.Context context : behindStart.get(b).contexts()) {
                    for (PairBatch.Continuation k : context.continuations()) {
                        TokenRequest r = requests.get(k.request());
                        assertThat(context.encoderInput()).isEqualTo(EncoderDecoderScorer.encoderInput(r.context(), EOS, config.seqLen()))
                                .endsWith(EOS);
                        assertThat(k.targets()).isEqualTo(r.continuation());
                        assertThat(k.decoderInput()[0]).isEqualTo(START);
                        assertThat(Arrays.copyOfRange(k.decoderInput(), 1, k.decoderInput().length))
                                .isEqualTo(Arrays.copyOf(r.continuation(), r.continuation().length - 1));
                        rows++;
                    }
                }
            }
            assertThat(rows).isEqualTo(requests.size());
        }
    }

    /**
     * Scored behind another start token, a request equals the definition's forward pass with that
     * token first, which is not the same number as behind EOS; greedy generation starts its decoder
     * with the same token.
     */
    @Test
    void scoresAndGreedyGenerationFollowTheStartToken() {
        ModelConfig config = t5(Position.ROTARY);
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 14, true);
                ByteTokenizer bytes = new ByteTokenizer()) {
            List<TokenRequest> requests = TokenScorerTest.requests(config, 8, 7);
            List<Response.LogLikelihood> scored = new EncoderDecoderScorer(model, EOS, START, new TokenScorer.Options(4096, true))
                    .score(requests);
            List<Response.LogLikelihood> behindEos = new EncoderDecoderScorer(model, EOS, EOS, new TokenScorer.Options(4096, true))
                    .score(requests);
            double apart = 0;
            for (int i = 0; i < requests.size(); i++) {
                Response.LogLikelihood reference = reference(model, m, requests.get(i), START);
                assertThat(scored.get(i).logLikelihood()).as("request %d", i).isCloseTo(reference.logLikelihood(), within(1e-4));
                assertThat(scored.get(i).greedy()).isEqualTo(reference.greedy());
                apart = Math.max(apart, Math.abs(scored.get(i).logLikelihood() - behindEos.get(i).logLikelihood()));
            }
            assertThat(apart).as("the start token changes the scores").isGreaterThan(1e-2);

            String context = "The cat sat on the";
            Request.Generate request = new Request.Generate(context, List.of(), 6);
            String fromStart = greedyText(model, m, bytes, context, START, 6);
            assertThat(fromStart).as("the start token changes what is generated").isNotEqualTo(greedyText(model, m, bytes, context, EOS, 6));
            assertThat(new ModelRunner(model, bytes, START).generate(List.of(request)).getFirst().text()).isEqualTo(fromStart);
        }
    }

    /** Greedy decoding from the definition: the argmax after [start] + what was generated, until EOS, as text. */
    private static String greedyText(EncoderDecoder model, NDManager m, ByteTokenizer bytes, String context, int start, int maxTokens) {
        int[] encoded = bytes.encode(context);
        List<Integer> generated = new ArrayList<>();
        for (int k = 0; k < maxTokens; k++) {
            long[] decoder = new long[k + 1];
            decoder[0] = start;
            for (int j = 0; j < k; j++) {
                decoder[j + 1] = generated.get(j);
            }
            int next = (int) logits(model, m, encoded, decoder).get(new NDIndex("0, -1, :")).argMax().getLong();
            if (next == EOS) {
                break;
            }
            generated.add(next);
        }
        return bytes.decode(generated.stream().mapToInt(Integer::intValue).filter(id -> id < bytes.vocabSize()).toArray());
    }

    /**
     * A batch holds what its budget allows (or one request alone), counting each encoder row once and
     * each decoder row with its copy of the keys and values it reads.
     */
    @Test
    void plannedBatchesKeepToTheBudgetAndAnswerEveryRequestOnce() {
        ModelConfig config = t5(Position.LEARNED);
        List<TokenRequest> requests = TokenScorerTest.requests(config, 60, 9);
        for (int budget : new int[] {1, 100, 300, 1000, 5000}) {
            List<PairBatch> batches = EncoderDecoderScorer.plan(requests, config.seqLen(), EOS, EOS, new TokenScorer.Options(budget, true));
            List<Integer> answered = new ArrayList<>();
            for (PairBatch b : batches) {
                int rows = b.requests().size();
                long tokens = (long) b.contexts().size() * b.encoderWidth()
                        + (long) rows * (b.decoderWidth() + EncoderDecoderScorer.keyValueCopy(b.encoderWidth()));
                assertThat(tokens <= budget || rows == 1).as("budget %d: %d tokens in %d rows", budget, tokens, rows).isTrue();
                answered.addAll(b.requests());
            }
            assertThat(answered).as("budget %d", budget).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.IntStream.range(0, requests.size()).boxed().toList());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Position.class, names = {"LEARNED", "ALIBI"})
    void contextsLongerThanTheEncoderWindowLoseTokensFromTheLeft(Position position) {
        ModelConfig config = t5(position);
        int window = config.seqLen();
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 12, true)) {
            int[] context = new Random(3).ints(window + 7, 0, 256).toArray();
            int[] continuation = {65, 66, 67};
            int[] kept = Arrays.copyOfRange(context, context.length - (window - 1), context.length); // and EOS
            double scored = new EncoderDecoderScorer(model, EOS, EOS, new TokenScorer.Options(8192, true))
                    .score(List.of(new TokenRequest(context, continuation))).getFirst().logLikelihood();
            assertThat(scored).isCloseTo(reference(model, m, new TokenRequest(kept, continuation)).logLikelihood(), within(1e-4));
            assertThat(EncoderDecoderScorer.encoderInput(context, EOS, window)).hasSize(window).endsWith(EOS);
            assertThat(EncoderDecoderScorer.encoderInput(new int[] {EOS}, EOS, window)).as("an empty context's EOS is not doubled")
                    .containsExactly(EOS);
        }
    }

    @Test
    void aContinuationLongerThanTheDecoderWindowIsRefused() {
        ModelConfig config = t5(Position.ROTARY);
        TokenRequest tooLong = new TokenRequest(new int[] {1}, new int[config.seqLen() + 1]);
        assertThatThrownBy(() -> EncoderDecoderScorer.plan(List.of(tooLong), config.seqLen(), EOS, EOS, new TokenScorer.Options(1024, true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a continuation of 65 tokens does not fit the decoder's window of 64");
    }

    /**
     * is-greedy on a constructed case: the model's own greedy continuation of a context (decoded
     * step by step) is greedy; changing its first or its last token makes it not greedy, whatever
     * it is batched with.
     */
    @Test
    void theModelsOwnGreedyContinuationIsGreedyAndAnyOtherIsNot() {
        ModelConfig config = t5(Position.ROTARY);
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 13, true)) {
            int[] context = "The cat sat on the".chars().toArray();
            int[] greedy = new int[5];
            for (int k = 0; k < greedy.length; k++) {
                long[] decoder = new long[k + 1];
                decoder[0] = EOS;
                for (int j = 0; j < k; j++) {
                    decoder[j + 1] = greedy[j];
                }
                NDArray logits = logits(model, m, context, decoder);
                greedy[k] = (int) logits.get(new NDIndex("0, -1, :")).argMax().getLong();
            }
            int[] lastChanged = greedy.clone();
            lastChanged[4] = (lastChanged[4] + 1) % 256;
            int[] firstChanged = greedy.clone();
            firstChanged[0] = (firstChanged[0] + 1) % 256;
            List<TokenRequest> requests = List.of(new TokenRequest(context, greedy), new TokenRequest(context, lastChanged),
                    new TokenRequest(context, firstChanged), new TokenRequest(context, Arrays.copyOf(greedy, 2)));
            for (TokenScorer.Options options : List.of(new TokenScorer.Options(4096, true), new TokenScorer.Options(1, false))) {
                List<Response.LogLikelihood> scored = new EncoderDecoderScorer(model, EOS, EOS, options).score(requests);
                assertThat(scored.stream().map(Response.LogLikelihood::greedy)).as("%s", options).containsExactly(true, false, false, true);
                assertThat(scored.get(0).logLikelihood()).isGreaterThan(scored.get(1).logLikelihood());
            }
        }
    }

    /** A runner refuses a batch planned for the other architecture rather than scoring the wrong model. */
    @Test
    void aBatchPlannedForTheOtherArchitectureIsRefused() {
        ModelConfig config = t5(Position.LEARNED);
        List<TokenRequest> requests = List.of(new TokenRequest(new int[] {1, 2}, new int[] {3}));
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 1, false);
                Gpt gpt = new Gpt(m, TokenScorerTest.debug(Position.LEARNED), 1, false); ByteTokenizer bytes = new ByteTokenizer()) {
            List<TokenBatch> decoderBatches = TokenScorer.plan(requests, 64, new TokenScorer.Options(1024, true));
            List<PairBatch> pairBatches = EncoderDecoderScorer.plan(requests, 64, EOS, EOS, new TokenScorer.Options(1024, true));
            assertThatThrownBy(() -> new ModelRunner(model, bytes).forward(decoderBatches)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a batch planned for a decoder cannot run on this model (model.architecture = encoder-decoder)");
            assertThatThrownBy(() -> new ModelRunner(gpt, bytes).forward(pairBatches)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a batch planned for an encoder-decoder cannot run on this model");
        }
    }

    static Response.LogLikelihood reference(EncoderDecoder model, NDManager m, TokenRequest r) {
        return reference(model, m, r, EOS);
    }

    /** Straight from the definition: one forward pass of one (context + EOS, start + continuation[:-1]) pair. */
    static Response.LogLikelihood reference(EncoderDecoder model, NDManager m, TokenRequest r, int start) {
        int[] cont = r.continuation();
        long[] decoder = new long[cont.length];
        decoder[0] = start;
        for (int k = 1; k < cont.length; k++) {
            decoder[k] = cont[k - 1];
        }
        NDArray logProbs = logits(model, m, r.context(), decoder).logSoftmax(-1);
        double sum = 0;
        boolean greedy = true;
        for (int k = 0; k < cont.length; k++) {
            NDArray row = logProbs.get(new NDIndex("0, {}, :", k));
            sum += row.getFloat(cont[k]);
            greedy &= row.argMax().getLong() == cont[k];
        }
        return new Response.LogLikelihood(sum, greedy, cont.length);
    }

    /**
     * Decoder logits (1, T, V) of one unpadded pair: in the encoder the context and EOS (none added
     * when the context ends with it), their last seq-len tokens.
     */
    private static NDArray logits(EncoderDecoder model, NDManager m, int[] context, long[] decoder) {
        long[] whole = Arrays.stream(context).asLongStream().toArray();
        if (context[context.length - 1] != EOS) {
            whole = Arrays.copyOf(whole, whole.length + 1);
            whole[context.length] = EOS;
        }
        long[] encoder = Arrays.copyOfRange(whole, Math.max(0, whole.length - model.config().seqLen()), whole.length);
        Batch.Pairs pair = new Batch.Pairs(m.create(encoder, new Shape(1, encoder.length)), m.create(new long[] {encoder.length}),
                m.create(decoder, new Shape(1, decoder.length)), m.create(new long[decoder.length], new Shape(1, decoder.length)));
        return model.logits(pair, false);
    }
}
