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
 * the requests' text before any tokenizer is loaded, as at most one token per UTF-8 byte of each
 * string encoded, plus one (a prefix piece SentencePiece may put before it, or the end-of-text
 * token an empty context reads), plus the EOS an encoder input ends with. That holds for ablate's
 * byte tokenizer, byte-level BPE (GPT-2, BLOOM, LLaMA 3) and word-level vocabularies; a
 * tokenizer.json whose normalizer expands characters (NFKC of some ligatures) can exceed it.
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
                case Request.LogLikelihood l when encoderDecoder -> pair(tokens(l.context()) + 1, tokens(l.continuation()), window);
                case Request.LogLikelihood l -> {
                    long packed = continuations.merge(l.context(), tokens(l.continuation()), Long::sum);
                    yield Math.min(tokens(l.context()) + packed, window);
                }
                case Request.Rolling rolling -> encoderDecoder ? 0 : Math.min(tokens(rolling.text()), window);
                case Request.Generate g -> encoderDecoder ? pair(tokens(g.context()) + 1, g.maxTokens() + 1L, window)
                        : Math.min(tokens(g.context()) + g.maxTokens(), window);
            };
            most = Math.max(most, pass);
        }
        return (int) most;
    }

    private static long pair(long encoder, long decoder, int window) {
        int e = (int) Math.min(encoder, window);
        return e + Math.min(decoder, window) + EncoderDecoderScorer.keyValueCopy(e);
    }

    /** At most this many tokens encode {@code text}: a token per UTF-8 byte, and one more (see the class comment). */
    private static long tokens(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length + 1L;
    }
}
