package ablate.evaluator.scoring;

import ablate.trainer.data.Tokenizer;
import ablate.trainer.model.EncoderDecoder;
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
 * Runs planned work on a model in this process, a {@link Gpt} or an {@link EncoderDecoder}: what
 * {@code ablate eval} and an evaluator node's actor do with a batch. Does not own the model or the
 * tokenizer.
 */
public final class ModelRunner implements BatchRunner {
    private final ablate.trainer.model.LanguageModel model;
    private final Tokenizer tokenizer;
    private final int decoderStart;
    // the scorers' options only matter to their score(): planned batches arrive cut already (and checked by the planner)
    private final TokenScorer.Options uncut;

    /** A decoder, or an encoder-decoder whose decoder starts with EOS, as ablate's do. */
    public ModelRunner(ablate.trainer.model.LanguageModel model, Tokenizer tokenizer) {
        this(model, tokenizer, tokenizer.eosId());
    }

    /** @param decoderStart the token an encoder-decoder's decoder starts with ({@code Pretrained#decoderStart}) */
    public ModelRunner(ablate.trainer.model.LanguageModel model, Tokenizer tokenizer, int decoderStart) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.decoderStart = decoderStart;
        this.uncut = new TokenScorer.Options(TokenScorer.largestBatchTokens(model.config().seqLen()), true);
    }

    public int maxLength() {
        return model.config().seqLen();
    }

    /**
     * @throws IllegalArgumentException for a batch planned for the other architecture (a {@link
     *     TokenBatch} on an encoder-decoder, a {@link PairBatch} on a decoder)
     */
    @Override
    public List<List<Response.LogLikelihood>> forward(List<? extends PlannedBatch> batches) {
        List<List<Response.LogLikelihood>> out = new ArrayList<>(batches.size());
        for (PlannedBatch batch : batches) {
            out.add(switch (model) {
                case Gpt gpt when batch instanceof TokenBatch b -> new TokenScorer(gpt, uncut).forward(b);
                case EncoderDecoder ed when batch instanceof PairBatch b ->
                        new EncoderDecoderScorer(ed, tokenizer.eosId(), decoderStart, uncut).forward(b);
                default -> throw new IllegalArgumentException("a batch planned for " + (batch instanceof TokenBatch ? "a decoder"
                        : "an encoder-decoder") + " cannot run on this model (model.architecture = "
                        + model.config().architecture().key() + ")");
            });
        }
        return out;
    }

    /**
     * Greedy decoding as the harness's greedy_until: decoding stops at the end-of-text token, at
     * max-tokens, or once a stop sequence appears, and the text is cut before the first stop
     * sequence; ids without text (see {@link #decode}) are generated and read back but make none. A decoder keeps the context's last (max-length - max-tokens) tokens; an
     * encoder-decoder's encoder reads the context as it does when scoring ({@link
     * EncoderDecoderScorer#encoderInput}), its decoder generates from the start token, up to seq-len
     * tokens (the harness's seq2seq generation gives the encoder its whole max_length).
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
        int[] context = tokenizer.encode(r.context());
        if (context.length == 0) {
            context = new int[] {tokenizer.eosId()};
        }
        List<Integer> generated = new ArrayList<>();
        try (Greedy greedy = switch (model) {
            case Gpt gpt -> new DecoderGreedy(gpt, context, r.maxTokens());
            case EncoderDecoder ed -> new EncoderDecoderGreedy(ed, context);
        }) {
            for (int step = 0; step < r.maxTokens() && greedy.fits(generated.size()); step++) {
                int next = greedy.next(generated);
                if (next == tokenizer.eosId()) {
                    break;
                }
                generated.add(next);
                String text = decode(generated);
                if (r.until().stream().anyMatch(text::contains)) {
                    break;
                }
            }
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

    /** One request's greedy decoding: the argmax after the tokens generated so far. */
    private interface Greedy extends AutoCloseable {
        /** Whether the model can read the {@code generated} tokens made so far to predict one more. */
        boolean fits(int generated);

        int next(List<Integer> generated);

        @Override
        void close();
    }

    /** A decoder reads the context's last (max-length - max-tokens) tokens, then what it generated. */
    private final class DecoderGreedy implements Greedy {
        private final Gpt gpt;
        private final int[] context;

        DecoderGreedy(Gpt gpt, int[] context, int maxTokens) {
            this.gpt = gpt;
            int keep = Math.max(1, maxLength() - maxTokens);
            this.context = Arrays.copyOfRange(context, Math.max(0, context.length - keep), context.length);
        }

        @Override
        public boolean fits(int generated) {
            return context.length + generated <= maxLength();
        }

        @Override
        public int next(List<Integer> generated) {
            int[] row = Arrays.copyOf(context, context.length + generated.size());
            for (int i = 0; i < generated.size(); i++) {
                row[context.length + i] = generated.get(i);
            }
            try (Torch.GradMode off = Torch.gradMode(false); NDManager m = gpt.parameters().manager().newSubManager()) {
                long[] tokens = Arrays.stream(row).asLongStream().toArray();
                NDArray logits = gpt.logits(m.create(tokens, new Shape(1, row.length)), m.create(new long[] {0}), false);
                return (int) logits.get(new NDIndex("0, -1, :")).argMax().getLong();
            }
        }

        @Override
        public void close() {
            // nothing held between steps
        }
    }

    /** An encoder-decoder encodes the context once; its decoder reads the start token, then what it generated. */
    private final class EncoderDecoderGreedy implements Greedy {
        private final EncoderDecoder model;
        private final NDManager held; // the encoder's output, kept across steps
        private final NDArray memory; // (1, S, d)
        private final NDArray lengths; // (1)

        EncoderDecoderGreedy(EncoderDecoder model, int[] context) {
            this.model = model;
            this.held = model.parameters().manager().newSubManager();
            int[] input = EncoderDecoderScorer.encoderInput(context, tokenizer.eosId(), maxLength());
            try (Torch.GradMode off = Torch.gradMode(false)) {
                this.lengths = held.create(new long[] {input.length});
                this.memory = model.encode(held.create(Arrays.stream(input).asLongStream().toArray(), new Shape(1, input.length)), lengths, false);
            } catch (RuntimeException e) {
                held.close();
                throw e;
            }
        }

        @Override
        public boolean fits(int generated) {
            return 1 + generated <= maxLength();
        }

        @Override
        public int next(List<Integer> generated) {
            long[] row = new long[1 + generated.size()];
            row[0] = decoderStart;
            for (int i = 0; i < generated.size(); i++) {
                row[1 + i] = generated.get(i);
            }
            try (Torch.GradMode off = Torch.gradMode(false); NDManager m = held.newSubManager()) {
                memory.tempAttach(m); // what is computed from it this step is freed with m; it returns to held after
                lengths.tempAttach(m);
                NDArray logits = model.decode(memory, lengths, m.create(row, new Shape(1, row.length)), false);
                return (int) logits.get(new NDIndex("0, -1, :")).argMax().getLong();
            }
        }

        @Override
        public void close() {
            held.close();
        }
    }

    /**
     * The text of generated ids, leaving out those the tokenizer has none for: the padded
     * vocabulary's rows above it, an encoder-decoder's sentinels among them (as the harness's
     * seq2seq decoding skips special tokens, T5's sentinels included).
     */
    private String decode(List<Integer> ids) {
        return tokenizer.decode(ids.stream().mapToInt(Integer::intValue).filter(id -> id < tokenizer.vocabSize()).toArray());
    }
}
