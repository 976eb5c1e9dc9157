package ablate.evaluator.scoring;

import ablate.trainer.data.Tokenizer;
import ablate.trainer.model.Gpt;
import java.util.ArrayList;
import java.util.List;

/**
 * A GPT with its tokenizer answering harness requests: loglikelihoods through {@link
 * TokenScorer}'s planned batches, rolling loglikelihoods over the harness's disjoint windows, and
 * greedy generation. Tokenizing and planning happen here; the planned work runs on a {@link
 * BatchRunner}: this process's model ({@link ModelRunner}) or the cluster's evaluator nodes, with
 * the same batches and so the same numbers. Does not own the model.
 */
public final class GptLanguageModel implements LanguageModel {
    private final Tokenizer tokenizer;
    private final int maxLength;
    private final TokenScorer.Options options;
    private final HarnessEncoding.Rule rule;
    private final BatchRunner runner;

    /** Runs on {@code model} in this process, with the 2022 harness's tokenization rule. */
    public GptLanguageModel(Gpt model, Tokenizer tokenizer, TokenScorer.Options options) {
        this(tokenizer, model.config().seqLen(), options, HarnessEncoding.Rule.HARNESS_2022, new ModelRunner(model, tokenizer));
    }

    /**
     * Plans for a model with window {@code maxLength} and tokenizer {@code tokenizer}, pairs
     * tokenized by {@code rule}, and runs the work on {@code runner}.
     */
    public GptLanguageModel(Tokenizer tokenizer, int maxLength, TokenScorer.Options options, HarnessEncoding.Rule rule, BatchRunner runner) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.options = options;
        this.rule = rule;
        this.runner = runner;
    }

    /** The model's window: the harness's max_length. */
    public int maxLength() {
        return maxLength;
    }

    @Override
    public List<Response.LogLikelihood> logLikelihood(List<Request.LogLikelihood> requests) {
        return score(tokenize(requests));
    }

    /** The token requests {@link #logLikelihood} scores, for logs and tests. */
    public List<TokenRequest> tokenize(List<Request.LogLikelihood> requests) {
        List<TokenRequest> tokens = new ArrayList<>(requests.size());
        for (Request.LogLikelihood r : requests) {
            tokens.add(rule.encode(tokenizer, r.context(), r.continuation()));
        }
        return tokens;
    }

    private List<Response.LogLikelihood> score(List<TokenRequest> requests) {
        List<TokenBatch> batches = TokenScorer.plan(requests, maxLength, options);
        return PlannedBatch.inRequestOrder(requests.size(), batches, runner.forward(batches));
    }

    @Override
    public List<Response.Rolling> logLikelihoodRolling(List<Request.Rolling> requests) {
        List<TokenRequest> windows = new ArrayList<>();
        int[] firstWindow = new int[requests.size() + 1];
        for (int i = 0; i < requests.size(); i++) {
            firstWindow[i] = windows.size();
            windows.addAll(HarnessEncoding.rollingWindows(tokenizer.encode(requests.get(i).text()), tokenizer.eosId(), maxLength, 1));
        }
        firstWindow[requests.size()] = windows.size();
        List<Response.LogLikelihood> scored = score(windows);
        List<Response.Rolling> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            double sum = 0;
            int tokens = 0;
            for (int w = firstWindow[i]; w < firstWindow[i + 1]; w++) {
                sum += scored.get(w).logLikelihood();
                tokens += scored.get(w).tokens();
            }
            out.add(new Response.Rolling(sum, tokens));
        }
        return out;
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
