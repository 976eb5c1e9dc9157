package ablate.evaluator.scoring;

import java.util.ArrayList;
import java.util.List;

/**
 * One forward pass of an encoder-decoder as {@link EncoderDecoderScorer#plan} cut it: encoder
 * rows padded to {@code encoderWidth}, one per distinct context, and under each the continuations
 * scored against it, one decoder row each, padded to {@code decoderWidth}. The encoder runs once
 * per context; its output is read by every decoder row of that context.
 */
public record PairBatch(int encoderWidth, int decoderWidth, List<Context> contexts) implements PlannedBatch {
    public PairBatch {
        contexts = List.copyOf(contexts);
    }

    /**
     * A continuation of a context: its index among the planned requests, what the decoder reads
     * (the start token, then the targets but the last) and the targets it scores.
     */
    public record Continuation(int request, int[] decoderInput, int[] targets) {
        public Continuation {
            if (decoderInput.length != targets.length) {
                throw new IllegalArgumentException("a decoder input of " + decoderInput.length + " tokens for " + targets.length + " targets");
            }
        }
    }

    /** An encoder row (the context as the encoder reads it, EOS last) and its continuations. */
    public record Context(int[] encoderInput, List<Continuation> continuations) {
        public Context {
            continuations = List.copyOf(continuations);
        }
    }

    /** The requests this batch answers, in the order {@link EncoderDecoderScorer#forward} returns their responses. */
    @Override
    public List<Integer> requests() {
        List<Integer> out = new ArrayList<>();
        for (Context c : contexts) {
            c.continuations().forEach(k -> out.add(k.request()));
        }
        return out;
    }
}
