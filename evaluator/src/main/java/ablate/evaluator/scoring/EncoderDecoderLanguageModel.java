package ablate.evaluator.scoring;

import ablate.trainer.data.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * An encoder-decoder with its tokenizer answering harness requests as the harness's seq2seq models
 * do: loglikelihoods with the context in the encoder and the continuation in the decoder, through
 * {@link EncoderDecoderScorer}'s planned batches; greedy generation from the encoder's reading of
 * the context. Rolling loglikelihood is refused (see {@link #ROLLING_REFUSED}). Tokenizing and
 * planning happen here; the planned work runs on a {@link BatchRunner}: this process's model
 * ({@link ModelRunner}) or the cluster's evaluator nodes, with the same batches and so the same
 * numbers. Does not own the model.
 */
public final class EncoderDecoderLanguageModel implements LanguageModel {
    /**
     * Why perplexity tasks (loglikelihood_rolling) do not run on an encoder-decoder. The harness
     * BigScience used (v0.2/v0.3) had no perplexity for seq2seq models: v0.3's AutoSeq2SeqLM
     * calls a helper its utils never defined (EleutherAI/lm-evaluation-harness#527) and its
     * regression script drops perplexity tasks for seq2seq models. v0.4 runs it by giving the
     * encoder one token and the decoder each whole window, which measures the decoder as an
     * unconditional language model, something span corruption never trains it to be.
     */
    public static final String ROLLING_REFUSED = "rolling loglikelihood (perplexity of whole documents) has no meaning for an"
            + " encoder-decoder: its decoder predicts a target given an encoder input, and a document is no (input, target) pair;"
            + " the 2022 harness scored no perplexity task on seq2seq models either. Score this task on a decoder";

    private final Tokenizer tokenizer;
    private final int window;
    private final int decoderStart;
    private final TokenScorer.Options options;
    private final HarnessEncoding.Rule rule;
    private final BatchRunner runner;

    /**
     * Plans for {@code spec}'s model (its stacks read seq-len tokens, its decoder starts with {@code
     * spec.decoderStart()}), pairs tokenized by {@code rule}, and runs the work on {@code runner}.
     */
    public EncoderDecoderLanguageModel(LanguageModel.Spec spec, TokenScorer.Options options, HarnessEncoding.Rule rule,
            BatchRunner runner) {
        this.tokenizer = spec.tokenizer();
        this.window = spec.config().seqLen();
        this.decoderStart = spec.decoderStart();
        this.options = options;
        this.rule = rule;
        this.runner = runner;
    }

    @Override
    public List<Response.LogLikelihood> logLikelihood(List<Request.LogLikelihood> requests) {
        List<TokenRequest> tokens = tokenize(requests);
        List<PairBatch> batches = EncoderDecoderScorer.plan(tokens, window, tokenizer.eosId(), decoderStart, options);
        return PlannedBatch.inRequestOrder(tokens.size(), batches, runner.forward(batches));
    }

    /** The token requests {@link #logLikelihood} scores, for logs and tests. */
    public List<TokenRequest> tokenize(List<Request.LogLikelihood> requests) {
        List<TokenRequest> tokens = new ArrayList<>(requests.size());
        for (Request.LogLikelihood r : requests) {
            tokens.add(rule.encodeForEncoderDecoder(tokenizer, r.context(), r.continuation()));
        }
        return tokens;
    }

    /** @throws IllegalArgumentException always, with {@link #ROLLING_REFUSED}: the task is skipped with that reason */
    @Override
    public List<Response.Rolling> logLikelihoodRolling(List<Request.Rolling> requests) {
        throw new IllegalArgumentException(ROLLING_REFUSED);
    }

    @Override
    public List<Response.Generated> generate(List<Request.Generate> requests) {
        return runner.generate(requests);
    }

    @Override
    public void close() {
        // the model and tokenizer belong to whoever loaded them
    }
}
