package ablate.conf;

/** Where a model gets word-order information from: the positional-embedding ablation axis. */
public enum Position {
    /** No positional information; a causal mask alone still leaks order (Haviv et al. 2022). */
    NONE,
    /** Learned absolute embeddings added to the token embeddings (GPT-2, GPT-3). */
    LEARNED,
    /** Rotary embeddings on queries and keys (Su et al. 2021, GPT-NeoX). */
    ROTARY,
    /** Attention with linear biases (Press et al. 2022, BLOOM). */
    ALIBI,
    /**
     * T5's bucketed relative attention bias (Raffel et al. 2020, section 2.1): a learned scalar per
     * head and bucket of key - query distance, one table per stack shared by its layers.
     */
    RELATIVE
}
