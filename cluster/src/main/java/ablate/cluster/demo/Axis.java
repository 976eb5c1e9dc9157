package ablate.cluster.demo;

/**
 * The study axes `ablate demo` runs: the variants of one design choice of the BigScience study at
 * CPU size, each a study file's base settings and ablations over the tiny preset.
 */
enum Axis {
    /** Positional embeddings (Le Scao et al. 2022, section 4.2): none, learned (the base), rotary, ALiBi. */
    POSITIONS("positions", "the positional-embedding axis: none, learned = the base, rotary, alibi") {
        @Override
        String base() {
            return "  model.position = learned\n";
        }

        @Override
        String ablations(String preset) {
            return """
                      {model.position = none}
                      {model.position = rotary}
                      {model.position = alibi}
                    """;
        }
    },
    /**
     * Architecture and objective (Wang et al. 2022): the causal decoder with full language modelling
     * (the base), the non-causal decoder with prefix language modelling, and the encoder-decoder with
     * span corruption, as the preset's family (PRESET-non-causal, PRESET-encoder-decoder): the
     * encoder-decoder has the decoder's blocks in each stack, so about twice its parameters, at the
     * seq-len whose training FLOPs per sequence match the decoder's.
     */
    ARCHITECTURES("architectures", "the architecture axis: causal decoder (full LM) = the base, non-causal decoder (prefix LM), "
            + "encoder-decoder (span corruption) at the same training FLOPs") {
        @Override
        String base() {
            return ""; // the preset's own causal decoder; a shared setting here would override the members' presets
        }

        @Override
        String ablations(String preset) {
            return """
                      {name = non-causal-decoder, preset = %1$s-non-causal}
                      {name = encoder-decoder, preset = %1$s-encoder-decoder}
                    """.formatted(preset);
        }
    };

    private final String study;
    private final String description;

    Axis(String study, String description) {
        this.study = study;
        this.description = description;
    }

    /** The study's name, and its folder under runs/. */
    String study() {
        return study;
    }

    /** What the study compares, for the first line the demo prints. */
    String description() {
        return description;
    }

    /** The base variant's settings: lines of the study file's settings block, indented two spaces. */
    abstract String base();

    /** The study file's ablations, one object per line. */
    abstract String ablations(String preset);
}
