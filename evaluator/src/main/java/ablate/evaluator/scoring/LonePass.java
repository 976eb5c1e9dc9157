package ablate.evaluator.scoring;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The most tokens one forward pass can hold whatever the token budget says. The planners cut
 * batches at --batch-tokens but never leave a row out, so a row longer than the budget is scored
 * in a pass of its own; a memory estimate for the budget alone would not cover it. Counted from
 * the requests' text before any tokenizer is loaded: every tokenizer ablate reads (bytes,
 * byte-level BPE, word-level, SentencePiece with byte fallback) gives at most one token per UTF-8
 * byte, plus one for the end-of-text or start token a request may add.
 *
 * <ul>
 *   <li>a decoder: the loglikelihood requests of one context packed into one row (the context once
 *       and each continuation, as {@link TokenScorer} shares contexts), a rolling window, or a
 *       generation's context and new tokens, each at most seq-len;
 *   <li>an encoder-decoder: a request's encoder row (context and EOS) and decoder row, each at
 *       most seq-len, with the decoder row's copy of the keys and values ({@link
 *       EncoderDecoderScorer#keyValueCopy}); rolling requests are refused on encoder-decoders.
 * </ul>
 */
public final class LonePass {
    private LonePass() {}

    /** The bound for {@code requests} on {@code model}. */
    public static int tokens(List<? extends Request> requests, ModelConfig model) {
        int window = model.seqLen();
        boolean encoderDecoder = model.architecture() == Architecture.ENCODER_DECODER;
        Map<String, Long> continuations = new HashMap<>(); // a decoder packs the continuations of one context into a row
        long most = 0;
        for (Request r : requests) {
            long pass = switch (r) {
                case Request.LogLikelihood l when encoderDecoder -> pair(bytes(l.context()) + 1, bytes(l.continuation()), window);
                case Request.LogLikelihood l -> {
                    long packed = continuations.merge(l.context(), bytes(l.continuation()), Long::sum);
                    yield Math.min(bytes(l.context()) + packed + 1, window); // + 1: an empty context reads end-of-text
                }
                case Request.Rolling rolling -> encoderDecoder ? 0 : Math.min(bytes(rolling.text()) + 1, window);
                case Request.Generate g -> encoderDecoder ? pair(bytes(g.context()) + 1, g.maxTokens() + 1L, window)
                        : Math.min(bytes(g.context()) + g.maxTokens() + 1L, window);
            };
            most = Math.max(most, pass);
        }
        return (int) most;
    }

    private static long pair(long encoder, long decoder, int window) {
        int e = (int) Math.min(encoder, window);
        return e + Math.min(decoder, window) + EncoderDecoderScorer.keyValueCopy(e);
    }

    private static long bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
