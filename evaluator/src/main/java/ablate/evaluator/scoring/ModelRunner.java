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
 * Runs planned work on a {@link Gpt} in this process: what {@code ablate eval} and an evaluator
 * node's actor do with a batch. Does not own the model or the tokenizer.
 */
public final class ModelRunner implements BatchRunner {
    private final Gpt model;
    private final Tokenizer tokenizer;
    private final TokenScorer scorer;

    public ModelRunner(Gpt model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        // the scorer's options only matter to TokenScorer.score: planned batches arrive cut already (and checked by the planner)
        this.scorer = new TokenScorer(model, new TokenScorer.Options(TokenScorer.largestBatchTokens(model.config().seqLen()), true));
    }

    public int maxLength() {
        return model.config().seqLen();
    }

    @Override
    public List<List<Response.LogLikelihood>> forward(List<TokenBatch> batches) {
        List<List<Response.LogLikelihood>> out = new ArrayList<>(batches.size());
        for (TokenBatch batch : batches) {
            out.add(scorer.forward(batch));
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
}
