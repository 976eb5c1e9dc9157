package ablate.cluster.demo;

import ablate.conf.Settings;
import ablate.trainer.model.ModelSize;

/**
 * The study axes `ablate demo` runs: the variants of one design choice of the BigScience study at
 * CPU size, each a study file's base settings and ablations over the tiny preset.
 */
enum Axis {
    /** Positional embeddings (Le Scao et al. 2022, section 4.2): none, learned (the base), rotary, ALiBi. */
    POSITIONS("positions", "the positional-embedding axis: none, learned = the base, rotary, alibi") {
        @Override
        String base(String preset) {
            return "model.position = learned\n";
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
     * span corruption. The encoder-decoder has the decoder's shape in each of its two stacks, so about
     * twice its parameters, and the longest seq-len whose encoder plus decoder tokens fit the decoder's
     * window: the same tokens per sequence and about the same FLOPs, as the paper compared them.
     */
    ARCHITECTURES("architectures", "the architecture axis: causal decoder (full LM) = the base, non-causal decoder (prefix LM), "
            + "encoder-decoder (span corruption) at the same compute") {
        @Override
        String base(String preset) {
            return "model.architecture = causal-decoder\n  train.objective = full-lm\n";
        }

        @Override
        String ablations(String preset) {
            var decoder = Settings.load(Settings.Sources.ofPreset(preset)).model();
            int seqLen = new ModelSize(decoder).matchedEncoderDecoder().seqLen();
            return """
                      {name = non-causal-decoder, model.architecture = non-causal-decoder, model.attention-mask = prefix, train.objective = prefix-lm}
                      {name = encoder-decoder, model.architecture = encoder-decoder, train.objective = span-corruption, model.seq-len = %d}
                    """.formatted(seqLen);
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

    /** The base variant's settings, lines inside the study file's settings block. */
    abstract String base(String preset);

    /** The study file's ablations, one object per line. */
    abstract String ablations(String preset);
}
