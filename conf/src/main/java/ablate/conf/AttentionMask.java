package ablate.conf;

/** Which positions a token attends to: the architecture axis of Wang et al. 2022. */
public enum AttentionMask {
    /** Every token sees itself and the tokens before it (decoder-only GPT). */
    CAUSAL,
    /** Non-causal decoder: bidirectional over a per-sequence prefix, causal after it; no loss on the prefix. */
    PREFIX
}
