package ablate.evaluator.scoring;

import ablate.trainer.model.EncoderDecoder;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores token requests on an {@link EncoderDecoder} as the harness's seq2seq models do
 * (lm-evaluation-harness's HFLM on an AutoModelForSeq2SeqLM, {@code _loglikelihood_tokens}): the
 * context goes to the encoder, the continuation is the decoder's target, read behind the decoder's
 * start token (the model's own: EOS for ablate's, decoder_start_token_id for a Hugging Face t5);
 * the response is the sum of the continuation's log-softmax probabilities and whether each of its
 * tokens is the argmax.
 *
 * <p>What each stack reads:
 * <ul>
 *   <li>the encoder: the context, then EOS. Every input span corruption trains it on ends with EOS,
 *       and the harness's T5 tokenizer appends {@code </s>} to the context the same way; a context
 *       that already ends with EOS (an empty one is the EOS alone) gets no second one;
 *   <li>the decoder: the start token the model trained with (EOS for ablate's, as BART's
 *       decoder_start_token_id, see {@code SpanPairs}; T5's pad id 0 for a Hugging Face t5), then
 *       the continuation but its last token, predicting the continuation. No EOS is scored after
 *       it, so a request scores the tokens it scores on a decoder, as the current harness does
 *       (v0.4 encodes the seq2seq continuation without special tokens).
 * </ul>
 *
 * <p>Windows: seq-len for both stacks, the length either stack's positions and masks are built
 * for, as the harness uses its one max_length for both. The encoder keeps the last seq-len tokens
 * of context + EOS (truncated from the left as the harness's {@code context_enc[-max_length:]}); a
 * continuation longer than seq-len fails, as the harness asserts. Span corruption trains the
 * decoder on targets of T tokens ({@code ModelSize#decoderLength}: 14 for seq-len 64, 114 for 512),
 * not seq-len: with learned positions the decoder's table rows from T on are never trained, so
 * tokens of a continuation longer than T are scored at untrained positions (rotary, ALiBi and no
 * positions have no such rows). The span-corruption lengths S and T describe training samples,
 * not what the model can read, so they do not cut evaluation inputs.
 *
 * <p>Batching, as {@link TokenScorer}'s: requests with the same encoder input share one encoder
 * row, computed once and read by each of their decoder rows; contexts are sorted by length,
 * longest first, and cut at the token budget, which counts the positions a pass computes at their
 * padded widths: each encoder row's and each decoder row's. Each decoder layer projects an encoder
 * row's cross-attention keys and values once, however many decoder rows read them ({@link
 * EncoderDecoder#decode(NDArray, NDArray, NDArray, NDArray, boolean)}), so the choices of a
 * question cost one context and their own tokens, plus for each its copy of the keys and values
 * ({@link #keyValueCopy}: an eighth of the encoder width). Encoder padding is masked out of the
 * encoder's keys and of cross-attention; decoder rows are padded on the right, which the causal
 * decoder's real positions never see, and only real positions are read. Results go back in request order. Planning ({@link #plan}) needs no model,
 * so the cluster plans centrally and ships {@link PairBatch}es to evaluator nodes.
 */
public final class EncoderDecoderScorer {
    private final EncoderDecoder model;
    private final int eosId;
    private final int decoderStart;
    private final TokenScorer.Options options;

    /**
     * @param eosId the tokenizer's end-of-text id: the end of every encoder input
     * @param decoderStart the token the decoder reads first, as the model was trained
     */
    public EncoderDecoderScorer(EncoderDecoder model, int eosId, int decoderStart, TokenScorer.Options options) {
        this.model = model;
        this.eosId = eosId;
        this.decoderStart = decoderStart;
        this.options = options;
    }

    /** One response per request, in order. */
    public List<Response.LogLikelihood> score(List<TokenRequest> requests) {
        List<PairBatch> batches = plan(requests, model.config().seqLen(), eosId, decoderStart, options);
        List<List<Response.LogLikelihood>> answers = new ArrayList<>(batches.size());
        for (PairBatch batch : batches) {
            answers.add(forward(batch));
        }
        return PlannedBatch.inRequestOrder(requests.size(), batches, answers);
    }

    /** What the encoder reads of {@code context}: its last tokens, then EOS, at most {@code window} in all. */
    public static int[] encoderInput(int[] context, int eosId, int window) {
        int[] whole = context;
        if (context[context.length - 1] != eosId) {
            whole = Arrays.copyOf(context, context.length + 1);
            whole[context.length] = eosId;
        }
        return Arrays.copyOfRange(whole, Math.max(0, whole.length - window), whole.length);
    }

    /**
     * The forward passes that answer {@code requests} on a model whose stacks read at most
     * {@code window} tokens, whose encoder inputs end with {@code eosId} and whose decoder rows
     * begin with {@code decoderStart}. A continuation longer than the window fails with an
     * IllegalArgumentException.
     */
    public static List<PairBatch> plan(List<TokenRequest> requests, int window, int eosId, int decoderStart,
            TokenScorer.Options options) {
        List<Group> groups = group(requests, window, eosId, options.shareContexts());
        groups.sort(Comparator.comparingInt((Group g) -> -g.input().length));
        List<PairBatch> batches = new ArrayList<>();
        List<PairBatch.Context> contexts = new ArrayList<>();
        int encoderWidth = 0;
        int decoderWidth = 0;
        int rows = 0;
        for (Group g : groups) {
            List<PairBatch.Continuation> pending = new ArrayList<>();
            for (int i : g.members()) {
                int[] continuation = requests.get(i).continuation();
                int e = Math.max(encoderWidth, g.input().length);
                int d = Math.max(decoderWidth, continuation.length);
                long tokens = (long) (contexts.size() + 1) * e + (long) (rows + 1) * (d + keyValueCopy(e));
                if (rows > 0 && tokens > options.batchTokens()) {
                    if (!pending.isEmpty()) {
                        contexts.add(new PairBatch.Context(g.input(), pending));
                    }
                    batches.add(new PairBatch(encoderWidth, decoderWidth, contexts));
                    contexts = new ArrayList<>();
                    pending = new ArrayList<>();
                    rows = 0;
                    e = g.input().length;
                    d = continuation.length;
                }
                pending.add(continuation(i, continuation, decoderStart));
                rows++;
                encoderWidth = e;
                decoderWidth = d;
            }
            contexts.add(new PairBatch.Context(g.input(), pending));
        }
        if (!contexts.isEmpty()) {
            batches.add(new PairBatch(encoderWidth, decoderWidth, contexts));
        }
        return batches;
    }

    /**
     * What a decoder row's copy of its encoder row's cross-attention keys and values counts in the
     * budget: an eighth of the encoder width. Per position and layer the copy holds at most 4 d
     * values (keys and values, and their per-head layout), an eighth of the 45 d (of 45 d + 9 h +
     * 8 H W) that {@code ModelMemory} bounds a counted position of an encoder-decoder by.
     */
    static int keyValueCopy(int encoderWidth) {
        return (encoderWidth + 7) / 8;
    }

    /** Requests by encoder input (each alone without sharing), in order of first appearance. */
    private record Group(int[] input, List<Integer> members) {}

    private static List<Group> group(List<TokenRequest> requests, int window, int eosId, boolean share) {
        Map<List<Integer>, Group> byInput = new LinkedHashMap<>();
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            TokenRequest r = requests.get(i);
            if (r.continuation().length > window) {
                throw new IllegalArgumentException("a continuation of " + r.continuation().length
                        + " tokens does not fit the decoder's window of " + window);
            }
            int[] input = encoderInput(r.context(), eosId, window);
            Group g = share ? byInput.computeIfAbsent(Arrays.stream(input).boxed().toList(), k -> new Group(input, new ArrayList<>()))
                    : new Group(input, new ArrayList<>());
            if (g.members().isEmpty()) {
                groups.add(g);
            }
            g.members().add(i);
        }
        return groups;
    }

    /** The decoder's row for a continuation: the start token, then the continuation but its last token. */
    private static PairBatch.Continuation continuation(int request, int[] targets, int decoderStart) {
        int[] input = new int[targets.length];
        input[0] = decoderStart;
        System.arraycopy(targets, 0, input, 1, targets.length - 1);
        return new PairBatch.Continuation(request, input, targets);
    }

    /** Runs one planned batch: its responses in {@link PairBatch#requests()} order. */
    public List<Response.LogLikelihood> forward(PairBatch planned) {
        int window = model.config().seqLen();
        int s = planned.encoderWidth();
        int t = planned.decoderWidth();
        if (s > window || t > window) {
            throw new IllegalArgumentException("a batch of encoder width " + s + " and decoder width " + t
                    + " was planned for a longer window than this model's " + window);
        }
        List<PairBatch.Context> contexts = planned.contexts();
        int c = contexts.size();
        int rows = 0;
        int reads = 0;
        for (PairBatch.Context context : contexts) {
            rows += context.continuations().size();
            for (PairBatch.Continuation k : context.continuations()) {
                reads += k.targets().length;
            }
        }
        long[] encoder = new long[c * s]; // padding: id 0, masked by the lengths
        long[] lengths = new long[c];
        long[] decoder = new long[rows * t];
        long[] rowContext = new long[rows];
        long[] readIndex = new long[reads];
        long[] targets = new long[reads];
        int r = 0;
        int k = 0;
        for (int i = 0; i < c; i++) {
            PairBatch.Context context = contexts.get(i);
            int[] input = context.encoderInput();
            for (int j = 0; j < input.length; j++) {
                encoder[i * s + j] = input[j];
            }
            lengths[i] = input.length;
            for (PairBatch.Continuation continuation : context.continuations()) {
                int[] in = continuation.decoderInput();
                for (int j = 0; j < in.length; j++) {
                    decoder[r * t + j] = in[j];
                    readIndex[k] = (long) r * t + j; // position j predicts target j
                    targets[k++] = continuation.targets()[j];
                }
                rowContext[r] = i;
                r++;
            }
        }
        List<Response.LogLikelihood> out = new ArrayList<>(rows);
        // grad mode is off only on the engine's first thread (see TokenScorer.forward)
        try (Torch.GradMode off = Torch.gradMode(false); NDManager m = model.parameters().manager().newSubManager()) {
            NDArray encoderLengths = m.create(lengths);
            NDArray memory = model.encode(m.create(encoder, new Shape(c, s)), encoderLengths, false); // (C, S, d)
            NDArray decoderInput = m.create(decoder, new Shape(rows, t));
            NDArray logits = rows == c // one decoder row per encoder row: row i reads row i
                    ? model.decode(memory, encoderLengths, decoderInput, false)
                    : model.decode(memory, encoderLengths, m.create(rowContext), decoderInput, false); // (R, T, V)
            TokenScorer.Read read = TokenScorer.read(m, logits, readIndex, targets);
            k = 0;
            for (PairBatch.Context context : contexts) {
                for (PairBatch.Continuation continuation : context.continuations()) {
                    out.add(read.response(k, continuation.targets().length));
                    k += continuation.targets().length;
                }
            }
        }
        return out;
    }
}
