package ablate.evaluator.scoring;

import ablate.trainer.data.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How lm-evaluation-harness turns text requests into tokens: context/continuation pairs by one of
 * its two rules ({@link Rule}), and whole documents cut into the disjoint rolling windows of
 * {@code loglikelihood_rolling} (the same in every version).
 */
public final class HarnessEncoding {
    private HarnessEncoding() {}

    /**
     * How a context/continuation pair becomes tokens. The rules differ when the context ends in
     * whitespace (any tokenizer) and, with BPE or SentencePiece, when a token would span the
     * boundary.
     */
    public enum Rule {
        /**
         * v0.2.0 and v0.3.0 (2022, what the BigScience study used), {@code BaseLM.loglikelihood}:
         * the context and the continuation are encoded separately, whitespace stays where it is;
         * an empty context is the end-of-text token.
         */
        HARNESS_2022("harness-2022"),
        /** v0.4 (2023), {@code _encode_pair}: see {@link #encodePair}. */
        HARNESS_2023("harness-2023");

        private final String configName;

        Rule(String configName) {
            this.configName = configName;
        }

        /** The name settings and results files use: harness-2022, harness-2023. */
        public String configName() {
            return configName;
        }

        public static Rule of(String name) {
            for (Rule r : values()) {
                if (r.configName.equals(name)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("'" + name + "' is not a tokenization rule: harness-2022 (v0.2/v0.3, the study's) or harness-2023 (v0.4)");
        }

        public TokenRequest encode(Tokenizer tokenizer, String context, String continuation) {
            return this == HARNESS_2022 ? encodeSeparately(tokenizer, context, continuation) : encodePair(tokenizer, context, continuation);
        }

        /**
         * The pair for an encoder-decoder, whose context and continuation go to different stacks
         * and are never one string: the 2022 rule as for a decoder (each encoded separately); the
         * 2023 rule as v0.4's {@code _encode_pair} for seq2seq models, trailing whitespace of the
         * context moved to the continuation, then each encoded separately.
         */
        public TokenRequest encodeForEncoderDecoder(Tokenizer tokenizer, String context, String continuation) {
            if (this == HARNESS_2022 || context.isEmpty()) {
                return encodeSeparately(tokenizer, context, continuation);
            }
            String stripped = context.stripTrailing();
            return encodeSeparately(tokenizer, stripped, context.substring(stripped.length()) + continuation);
        }
    }

    /** The 2022 rule: {@code context_enc = tok_encode(context)} (or [eot] when empty), {@code continuation_enc = tok_encode(continuation)}. */
    public static TokenRequest encodeSeparately(Tokenizer tokenizer, String context, String continuation) {
        int[] contextIds = context.isEmpty() ? new int[0] : tokenizer.encode(context);
        int[] continuationIds = tokenizer.encode(continuation);
        if (continuationIds.length == 0) {
            throw new IllegalArgumentException("continuation '" + continuation + "' encodes to no tokens");
        }
        return new TokenRequest(contextIds.length == 0 ? new int[] {tokenizer.eosId()} : contextIds, continuationIds);
    }

    /**
     * The harness's {@code _encode_pair}: trailing whitespace of the context moves to the start of
     * the continuation; the whole string is encoded once and split after the context's tokens. An
     * empty context becomes the end-of-text token.
     */
    public static TokenRequest encodePair(Tokenizer tokenizer, String context, String continuation) {
        if (context.isEmpty()) {
            return new TokenRequest(new int[] {tokenizer.eosId()}, tokenizer.encode(continuation));
        }
        int spaces = context.length() - context.stripTrailing().length();
        if (spaces > 0) {
            continuation = context.substring(context.length() - spaces) + continuation;
            context = context.substring(0, context.length() - spaces);
        }
        int[] whole = tokenizer.encode(context + continuation);
        int[] contextIds = tokenizer.encode(context);
        if (contextIds.length == 0) {
            return new TokenRequest(new int[] {tokenizer.eosId()}, whole);
        }
        int[] continuationIds = Arrays.copyOfRange(whole, Math.min(contextIds.length, whole.length), whole.length);
        if (continuationIds.length == 0) {
            throw new IllegalArgumentException("continuation '" + continuation + "' adds no tokens after its context");
        }
        return new TokenRequest(Arrays.copyOf(whole, whole.length - continuationIds.length), continuationIds);
    }

    /**
     * The harness's {@code get_rolling_token_windows} followed by {@code make_disjoint_window}: every
     * token is predicted exactly once; the first window is preceded by {@code prefixToken}, later
     * windows take up to {@code maxLength} tokens of the document as context.
     *
     * @param contextLength the harness's context_len (1 for loglikelihood_rolling)
     */
    public static List<TokenRequest> rollingWindows(int[] tokens, int prefixToken, int maxLength, int contextLength) {
        if (contextLength < 1 || contextLength > maxLength) {
            throw new IllegalArgumentException("context length must be in [1, " + maxLength + "], got " + contextLength);
        }
        List<TokenRequest> windows = new ArrayList<>();
        if (tokens.length == 0) {
            return windows;
        }
        int predLength = maxLength - contextLength + 1;
        int firstLength = Math.min(maxLength, tokens.length);
        int[] firstInput = new int[firstLength];
        firstInput[0] = prefixToken;
        System.arraycopy(tokens, 0, firstInput, 1, firstLength - 1);
        windows.add(disjoint(firstInput, Arrays.copyOf(tokens, firstLength)));
        int predicted = firstLength;
        while (predicted < tokens.length) {
            int windowPredLength = Math.min(tokens.length - predicted, predLength);
            int windowEnd = predicted + windowPredLength;
            int[] input = Arrays.copyOfRange(tokens, Math.max(0, windowEnd - maxLength - 1), windowEnd - 1);
            int[] target = Arrays.copyOfRange(tokens, windowEnd - windowPredLength, windowEnd);
            windows.add(disjoint(input, target));
            predicted += windowPredLength;
        }
        return windows;
    }

    /** make_disjoint_window: the input minus the part the target overlaps, as a context. */
    private static TokenRequest disjoint(int[] input, int[] target) {
        return new TokenRequest(Arrays.copyOf(input, input.length - (target.length - 1)), target);
    }
}
