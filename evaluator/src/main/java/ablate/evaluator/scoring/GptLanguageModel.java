package ablate.evaluator.scoring;

import ablate.trainer.data.Tokenizer;
import ablate.trainer.model.Gpt;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link Gpt} with its tokenizer answering harness requests: loglikelihoods through {@link
 * TokenScorer}, rolling loglikelihoods over the harness's disjoint windows, and greedy generation.
 * Does not own the model (its creator closes it).
 */
public final class GptLanguageModel implements LanguageModel {
    private final Gpt model;
    private final Tokenizer tokenizer;
    private final TokenScorer scorer;

    public GptLanguageModel(Gpt model, Tokenizer tokenizer, TokenScorer.Options options) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.scorer = new TokenScorer(model, options);
    }

    /** The model's window: the harness's max_length. */
    public int maxLength() {
        return model.config().seqLen();
    }

    @Override
    public List<Response.LogLikelihood> logLikelihood(List<Request.LogLikelihood> requests) {
        return scorer.score(tokenize(requests));
    }

    /** The token requests {@link #logLikelihood} scores, for logs and tests. */
    public List<TokenRequest> tokenize(List<Request.LogLikelihood> requests) {
        List<TokenRequest> tokens = new ArrayList<>(requests.size());
        for (Request.LogLikelihood r : requests) {
            tokens.add(HarnessEncoding.encodePair(tokenizer, r.context(), r.continuation()));
        }
        return tokens;
    }

    @Override
    public List<Response.Rolling> logLikelihoodRolling(List<Request.Rolling> requests) {
        List<TokenRequest> windows = new ArrayList<>();
        int[] firstWindow = new int[requests.size() + 1];
        for (int i = 0; i < requests.size(); i++) {
            firstWindow[i] = windows.size();
            windows.addAll(HarnessEncoding.rollingWindows(tokenizer.encode(requests.get(i).text()), tokenizer.eosId(), maxLength(), 1));
        }
        firstWindow[requests.size()] = windows.size();
        List<Response.LogLikelihood> scored = scorer.score(windows);
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

    /**
     * Greedy decoding as the harness's greedy_until: the context keeps its last (max-length -
     * max-tokens) tokens; decoding stops at the end-of-text token, at max-tokens, or once a stop
     * sequence appears, and the text is cut before the first stop sequence.
     */
    @Override
    public List<Response.Generated> generate(List<Request.Generate> requests) {
        List<Response.Generated> out = new ArrayList<>(requests.size());
        for (Request.Generate r : requests) {
            out.add(new Response.Generated(generateOne(r)));
        }
        return out;
    }

    private String generateOne(Request.Generate r) {
        int keep = Math.max(1, maxLength() - r.maxTokens());
        int[] context = tokenizer.encode(r.context());
        if (context.length == 0) {
            context = new int[] {tokenizer.eosId()};
        }
        context = Arrays.copyOfRange(context, Math.max(0, context.length - keep), context.length);
        List<Integer> generated = new ArrayList<>();
        int[] row = context;
        for (int step = 0; step < r.maxTokens() && row.length <= maxLength(); step++) {
            int next = argmaxAfter(row);
            if (next == tokenizer.eosId()) {
                break;
            }
            generated.add(next);
            String text = decode(generated);
            if (r.until().stream().anyMatch(text::contains)) {
                break;
            }
            row = Arrays.copyOf(row, row.length + 1);
            row[row.length - 1] = next;
        }
        String text = decode(generated);
        for (String stop : r.until()) {
            int at = text.indexOf(stop);
            if (at >= 0) {
                text = text.substring(0, at);
            }
        }
        return text;
    }

    private int argmaxAfter(int[] row) {
        try (Torch.GradMode off = Torch.gradMode(false); NDManager m = model.parameters().manager().newSubManager()) {
            long[] tokens = Arrays.stream(row).asLongStream().toArray();
            NDArray logits = model.logits(m.create(tokens, new Shape(1, row.length)), m.create(new long[] {0}), false);
            return (int) logits.get(new NDIndex("0, -1, :")).argMax().getLong();
        }
    }

    private String decode(List<Integer> ids) {
        return tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public void close() {
        // the model and tokenizer belong to whoever loaded them
    }
}
