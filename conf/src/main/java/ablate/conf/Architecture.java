package ablate.conf;

import java.util.Locale;

/**
 * The model's shape on the architecture axis of Wang et al. 2022 ("What Language Model
 * Architecture and Pretraining Objective Work Best for Zero-Shot Generalization?"), which the
 * BigScience ablations (Le Scao et al. 2022) follow: {@code model.architecture}.
 *
 * <p>The two decoders are one stack of blocks that differ only in their attention mask, so each
 * names the {@link AttentionMask} it needs; {@code model.attention-mask} predates this key and
 * stays, and the two must agree. An encoder-decoder's encoder is bidirectional by construction and
 * its decoder causal, so its mask is causal too.
 */
public enum Architecture {
    /** Decoder-only, causal attention everywhere (GPT). */
    CAUSAL_DECODER(AttentionMask.CAUSAL),
    /** Decoder-only, bidirectional over a prefix and causal after it (a prefix LM, Raffel et al. 2020 §3.2.1). */
    NON_CAUSAL_DECODER(AttentionMask.PREFIX),
    /** A bidirectional encoder and a causal decoder with cross-attention (T5, Raffel et al. 2020). */
    ENCODER_DECODER(AttentionMask.CAUSAL);

    private final AttentionMask attentionMask;

    Architecture(AttentionMask attentionMask) {
        this.attentionMask = attentionMask;
    }

    /** The mask this architecture's (decoder's) self-attention uses. */
    public AttentionMask attentionMask() {
        return attentionMask;
    }

    /** The decoder that a config written before model.architecture existed describes with its attention mask. */
    public static Architecture of(AttentionMask mask) {
        return mask == AttentionMask.PREFIX ? NON_CAUSAL_DECODER : CAUSAL_DECODER;
    }

    /** The objective a config that leaves train.objective at auto trains this architecture with. */
    public Objective defaultObjective() {
        return switch (this) {
            case CAUSAL_DECODER -> Objective.FULL_LM;
            case NON_CAUSAL_DECODER -> Objective.PREFIX_LM;
            case ENCODER_DECODER -> Objective.SPAN_CORRUPTION;
        };
    }

    /** As written in a config: causal-decoder, non-causal-decoder, encoder-decoder. */
    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
