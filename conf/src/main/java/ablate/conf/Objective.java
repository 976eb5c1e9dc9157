package ablate.conf;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a model learns to predict: the pretraining-objective axis of Wang et al. 2022, crossed with
 * {@link Architecture} ({@code train.objective}). Each objective fits one architecture here, the
 * pairs that study trains: a causal decoder learns every next token, a non-causal decoder the
 * tokens after its bidirectional prefix, an encoder-decoder the spans corrupted out of its input.
 */
public enum Objective {
    /** Next-token prediction at every position (GPT; Wang et al.'s FLM). */
    FULL_LM(Architecture.CAUSAL_DECODER),
    /** Next-token prediction after a random prefix, which the model sees bidirectionally (Wang et al.'s PLM). */
    PREFIX_LM(Architecture.NON_CAUSAL_DECODER),
    /**
     * T5's span corruption (Raffel et al. 2020, §3.1.4 and §3.3.4): 15% of the tokens, in spans of
     * mean length 3, are replaced in the encoder's input by one sentinel per span, and the decoder
     * produces each sentinel followed by the span it replaced.
     */
    SPAN_CORRUPTION(Architecture.ENCODER_DECODER);

    private final Architecture architecture;

    Objective(Architecture architecture) {
        this.architecture = architecture;
    }

    /** The architecture this objective trains. */
    public Architecture architecture() {
        return architecture;
    }

    /**
     * This objective, when it fits {@code model}.
     *
     * @throws SettingsException naming train.objective, model.architecture and the objectives allowed
     */
    public Objective requireFits(Architecture model) {
        if (architecture != model) {
            String allowed = Arrays.stream(values()).filter(o -> o.architecture == model).map(Objective::key)
                    .collect(Collectors.joining(" | "));
            throw SettingsException.of("train.objective", key() + " does not fit model.architecture = " + model.key()
                    + "; allowed with " + model.key() + ": " + allowed + " (or auto); " + key() + " needs model.architecture = "
                    + architecture.key());
        }
        return this;
    }

    /** As written in a config: full-lm, prefix-lm, span-corruption. */
    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
