package ablate.evaluator.scoring;

import ablate.trainer.model.Gpt;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores token requests on a {@link Gpt} as the harness's {@code _loglikelihood_tokens} does (the
 * sum of the continuation's log-softmax probabilities and whether each continuation token is the
 * argmax; inputs longer than the model's window lose tokens from the left), but faster:
 *
 * <ul>
 *   <li>requests with the same context are packed into one row, context first, then each
 *       continuation restarting at the context's end position and seeing only the context and
 *       itself ({@link Gpt#logits(NDArray, NDArray, NDArray)}), so the context is computed once;
 *   <li>rows are sorted by length, longest first, and batched up to a token budget per forward
 *       pass (rows padded to the batch's longest);
 *   <li>results go back in request order.
 * </ul>
 *
 * <p>Planning ({@link #plan}) needs only the window and the options, not the model: the cluster
 * plans batches once, centrally, and ships them to evaluator nodes that run {@link #forward}.
 */
public final class TokenScorer {
    private final Gpt model;
    private final Options options;

    /** The most elements a Java array may hold on common JVMs. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * @param batchTokens at most this many tokens (rows x padded length) per forward pass
     * @param shareContexts pack requests with equal contexts into one row
     */
    public record Options(int batchTokens, boolean shareContexts) {
        public Options {
            if (batchTokens < 1) {
                throw new IllegalArgumentException("batch-tokens must be at least 1, got " + batchTokens);
            }
        }
    }

    public TokenScorer(Gpt model, Options options) {
        this.model = model;
        this.options = options;
    }

    /**
     * Refuses a {@code --batch-tokens} whose batches' attention masks could not be one Java array: a
     * batch holds up to that many tokens in rows of up to seq-len (a longer row alone), and its mask
     * one entry per row, query and key. {@code ablate eval} checks it before the model is built;
     * {@link #forward} guards each batch (the cluster's planned ones too).
     */
    public static void requireMaskFits(int batchTokens, int seqLen) {
        long maskEntries = Math.max((long) batchTokens, seqLen) * seqLen;
        if (maskEntries > MAX_ARRAY) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "--batch-tokens %,d is too large for this"
                    + " model's seq-len %,d: a batch's attention mask would have %,d entries, more than one array holds; use at most"
                    + " %,d", batchTokens, seqLen, maskEntries, largestBatchTokens(seqLen)));
        }
    }

    /** The largest batch-tokens {@link #requireMaskFits} lets through for {@code seqLen}. */
    public static int largestBatchTokens(int seqLen) {
        return MAX_ARRAY / seqLen;
    }

    /** One response per request, in order. */
    public List<Response.LogLikelihood> score(List<TokenRequest> requests) {
        List<TokenBatch> batches = plan(requests, model.config().seqLen(), options);
        List<List<Response.LogLikelihood>> answers = new ArrayList<>(batches.size());
        for (TokenBatch batch : batches) {
            answers.add(forward(batch));
        }
        return PlannedBatch.inRequestOrder(requests.size(), batches, answers);
    }

    /**
     * The forward passes that answer {@code requests} on a model with window {@code maxLength}:
     * rows packed, sorted longest first and cut at the token budget. A continuation longer than the
     * window fails with an IllegalArgumentException.
     */
    public static List<TokenBatch> plan(List<TokenRequest> requests, int maxLength, Options options) {
        List<TokenBatch.Row> rows = pack(requests, maxLength, options);
        rows.sort(Comparator.comparingInt((TokenBatch.Row r) -> -r.tokens().length));
        List<TokenBatch> batches = new ArrayList<>();
        int start = 0;
        while (start < rows.size()) {
            int width = rows.get(start).tokens().length;
            int end = start + 1;
            while (end < rows.size() && (long) (end - start + 1) * width <= options.batchTokens()) {
                end++;
            }
            batches.add(new TokenBatch(width, rows.subList(start, end)));
            start = end;
        }
        return batches;
    }

    private static List<TokenBatch.Row> pack(List<TokenRequest> requests, int maxLength, Options options) {
        List<TokenBatch.Row> rows = new ArrayList<>();
        Map<List<Integer>, List<Integer>> byContext = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            TokenRequest r = requests.get(i);
            if (r.continuation().length > maxLength) {
                throw new IllegalArgumentException("a continuation of " + r.continuation().length
                        + " tokens does not fit the model's window of " + maxLength);
            }
            boolean fits = r.context().length + r.continuation().length - 1 <= maxLength;
            if (options.shareContexts() && fits) {
                byContext.computeIfAbsent(Arrays.stream(r.context()).boxed().toList(), k -> new ArrayList<>()).add(i);
            } else {
                rows.add(single(i, r, maxLength));
            }
        }
        for (List<Integer> group : byContext.values()) {
            int[] context = requests.get(group.getFirst()).context();
            List<Integer> pending = new ArrayList<>();
            int length = context.length;
            for (int i : group) {
                int extra = requests.get(i).continuation().length - 1;
                if (!pending.isEmpty() && length + extra > maxLength) {
                    rows.add(shared(context, pending, requests));
                    pending.clear();
                    length = context.length;
                }
                pending.add(i);
                length += extra;
            }
            rows.add(shared(context, pending, requests));
        }
        return rows;
    }

    /** A request alone, left-truncated to the window as the harness does. */
    private static TokenBatch.Row single(int index, TokenRequest r, int maxLength) {
        int[] whole = concat(r.context(), r.continuation());
        int from = Math.max(0, whole.length - (maxLength + 1));
        int[] input = Arrays.copyOfRange(whole, from, whole.length - 1);
        int n = r.continuation().length;
        int[] readAt = new int[n];
        for (int k = 0; k < n; k++) {
            readAt[k] = input.length - n + k;
        }
        int[] positions = new int[input.length];
        Arrays.setAll(positions, p -> p);
        return new TokenBatch.Row(input, positions, new int[input.length], List.of(new TokenBatch.Segment(index, r.continuation(), readAt)));
    }

    /** context | cont_1[:-1] | cont_2[:-1] | ...; each continuation's first token is read at the context's end. */
    private static TokenBatch.Row shared(int[] context, List<Integer> members, List<TokenRequest> requests) {
        int length = context.length;
        for (int i : members) {
            length += requests.get(i).continuation().length - 1;
        }
        int[] tokens = Arrays.copyOf(context, length);
        int[] positions = new int[length];
        int[] segment = new int[length];
        Arrays.setAll(positions, p -> p);
        List<TokenBatch.Segment> segments = new ArrayList<>();
        int at = context.length;
        for (int s = 0; s < members.size(); s++) {
            int[] cont = requests.get(members.get(s)).continuation();
            int[] readAt = new int[cont.length];
            readAt[0] = context.length - 1;
            for (int k = 0; k < cont.length - 1; k++) {
                tokens[at + k] = cont[k];
                positions[at + k] = context.length + k;
                segment[at + k] = s + 1;
                readAt[k + 1] = at + k;
            }
            at += cont.length - 1;
            segments.add(new TokenBatch.Segment(members.get(s), cont, readAt));
        }
        return new TokenBatch.Row(tokens, positions, segment, segments);
    }

    /** Runs one planned batch: its responses in {@link TokenBatch#requests()} order. */
    public List<Response.LogLikelihood> forward(TokenBatch planned) {
        List<TokenBatch.Row> batch = planned.rows();
        int width = planned.width();
        if (width > model.config().seqLen()) {
            throw new IllegalArgumentException("a batch of width " + width + " was planned for a longer window than this model's "
                    + model.config().seqLen());
        }
        int b = batch.size();
        if ((long) b * width * width > MAX_ARRAY) {
            throw new IllegalArgumentException("a batch of " + b + " rows of " + width + " tokens needs an attention mask larger"
                    + " than one array holds; plan smaller batches");
        }
        long[] tokens = new long[b * width];
        long[] positions = new long[b * width];
        boolean[] visible = new boolean[b * width * width];
        int reads = 0;
        for (int r = 0; r < b; r++) {
            TokenBatch.Row row = batch.get(r);
            int n = row.tokens().length;
            for (int i = 0; i < width; i++) {
                int base = (r * width + i) * width;
                if (i >= n) {
                    visible[base + i] = true; // padding sees itself, so its softmax stays finite
                    continue;
                }
                tokens[r * width + i] = row.tokens()[i];
                positions[r * width + i] = row.positions()[i];
                for (int j = 0; j <= i; j++) {
                    visible[base + j] = row.segment()[j] == 0 || row.segment()[j] == row.segment()[i];
                }
            }
            for (TokenBatch.Segment s : row.segments()) {
                reads += s.targets().length;
            }
        }
        long[] readIndex = new long[reads];
        long[] targets = new long[reads];
        int k = 0;
        for (int r = 0; r < b; r++) {
            for (TokenBatch.Segment s : batch.get(r).segments()) {
                for (int t = 0; t < s.targets().length; t++) {
                    readIndex[k] = (long) r * width + s.readAt()[t];
                    targets[k++] = s.targets()[t];
                }
            }
        }
        List<Response.LogLikelihood> out = new ArrayList<>();
        // grad mode is on by default on every thread but the engine's first: without this, scoring on an
        // evaluator's own thread would build an autograd graph over every weight
        try (Torch.GradMode off = Torch.gradMode(false); NDManager m = model.parameters().manager().newSubManager()) {
            NDArray logits = model.logits(m.create(tokens, new Shape(b, width)), m.create(positions, new Shape(b, width)),
                    m.create(visible, new Shape(b, width, width)));
            Read read = read(m, logits, readIndex, targets);
            k = 0;
            for (int r = 0; r < b; r++) {
                for (TokenBatch.Segment s : batch.get(r).segments()) {
                    out.add(read.response(k, s.targets().length));
                    k += s.targets().length;
                }
            }
        }
        return out;
    }

    /**
     * The log-probability of every scored target and whether it was the argmax (of the padded
     * vocabulary, as the logits come), in read order.
     */
    record Read(float[] logProbs, long[] argmax, long[] targets) {
        /** The response of the {@code n} targets read from index {@code from} on: their sum (in float, in order) and is-greedy. */
        Response.LogLikelihood response(int from, int n) {
            float sum = 0;
            boolean greedy = true;
            for (int k = from; k < from + n; k++) {
                sum += logProbs[k];
                greedy &= argmax[k] == targets[k];
            }
            return new Response.LogLikelihood(sum, greedy, n);
        }
    }

    /**
     * Reads the predictions of {@code targets} from {@code logits} (B, T, V): target k is
     * predicted by the flattened position {@code readIndex[k]} (row * T + position). Arrays are made in {@code m}.
     */
    static Read read(NDManager m, NDArray logits, long[] readIndex, long[] targets) {
        long vocab = logits.getShape().get(2);
        NDArray picked = Embedding.embedding(m.create(readIndex), logits.reshape(-1, vocab), SparseFormat.DENSE)
                .singletonOrThrow(); // (reads, V), the rows that predict a continuation token
        NDArray logProbs = picked.logSoftmax(-1);
        NDArray target = m.create(targets);
        float[] tokenLogProbs = logProbs.gather(target.reshape(-1, 1), 1).toFloatArray();
        long[] argmax = picked.argMax(-1).toType(DataType.INT64, false).toLongArray();
        return new Read(tokenLogProbs, argmax, targets);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
