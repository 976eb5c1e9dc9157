package ablate.conf;

/**
 * The shape and ablation choices of one GPT-style model (the {@code model} block of reference.conf).
 * Impossible shapes fail here, naming the key.
 */
public record ModelConfig(
        int layers,
        int dModel,
        int heads,
        int seqLen,
        int vocabSize,
        int padVocabToMultipleOf,
        int ffnHidden,
        Position position,
        Activation activation,
        int swigluMultipleOf,
        boolean embeddingLayerNorm,
        AttentionMask attentionMask,
        double rotaryFraction,
        double rotaryBase,
        double layerNormEpsilon,
        double initStd,
        double dropout,
        Norm norm,
        boolean bias,
        GeluApproximation geluApproximation,
        boolean tiedOutput,
        boolean parallelResidual,
        int kvHeads,
        int mlpHiddenSize,
        Architecture architecture) {

    /** A model of today's GPT family: LayerNorm, biases, exact GELU, tied head, sequential residual, MHA. */
    public ModelConfig(int layers, int dModel, int heads, int seqLen, int vocabSize, int padVocabToMultipleOf,
            int ffnHidden, Position position, Activation activation, int swigluMultipleOf, boolean embeddingLayerNorm,
            AttentionMask attentionMask, double rotaryFraction, double rotaryBase, double layerNormEpsilon,
            double initStd, double dropout) {
        this(layers, dModel, heads, seqLen, vocabSize, padVocabToMultipleOf, ffnHidden, position, activation,
                swigluMultipleOf, embeddingLayerNorm, attentionMask, rotaryFraction, rotaryBase, layerNormEpsilon,
                initStd, dropout, Norm.LAYERNORM, true, GeluApproximation.NONE, true, false, 0, 0);
    }

    /** A decoder of the model family, its architecture following the attention mask (as before model.architecture). */
    public ModelConfig(int layers, int dModel, int heads, int seqLen, int vocabSize, int padVocabToMultipleOf,
            int ffnHidden, Position position, Activation activation, int swigluMultipleOf, boolean embeddingLayerNorm,
            AttentionMask attentionMask, double rotaryFraction, double rotaryBase, double layerNormEpsilon,
            double initStd, double dropout, Norm norm, boolean bias, GeluApproximation geluApproximation,
            boolean tiedOutput, boolean parallelResidual, int kvHeads, int mlpHiddenSize) {
        this(layers, dModel, heads, seqLen, vocabSize, padVocabToMultipleOf, ffnHidden, position, activation,
                swigluMultipleOf, embeddingLayerNorm, attentionMask, rotaryFraction, rotaryBase, layerNormEpsilon,
                initStd, dropout, norm, bias, geluApproximation, tiedOutput, parallelResidual, kvHeads, mlpHiddenSize,
                Architecture.of(attentionMask));
    }

    public ModelConfig {
        positive("model.layers", layers);
        positive("model.d-model", dModel);
        positive("model.heads", heads);
        positive("model.seq-len", seqLen);
        positive("model.vocab-size", vocabSize);
        positive("model.pad-vocab-to-multiple-of", padVocabToMultipleOf);
        positive("model.swiglu-multiple-of", swigluMultipleOf);
        if (dModel % heads != 0) {
            throw SettingsException.of("model.heads",
                    heads + " heads do not divide model.d-model = " + dModel + "; use a divisor of " + dModel);
        }
        if (ffnHidden < 0) {
            throw SettingsException.of("model.ffn-hidden", "must be >= 0 (0 means 4 * d-model), got " + ffnHidden);
        }
        int headDim = dModel / heads;
        if (position == Position.ROTARY) {
            if (!(rotaryFraction > 0 && rotaryFraction <= 1)) {
                throw SettingsException.of("model.rotary-fraction", "must be in (0, 1], got " + rotaryFraction);
            }
            int rotary = (int) Math.round(headDim * rotaryFraction);
            if (rotary % 2 != 0 || rotary == 0) {
                throw SettingsException.of("model.rotary-fraction", "rotates " + rotary + " of the " + headDim
                        + " dimensions of each head; rotary needs an even, non-zero count");
            }
        }
        if (!(rotaryBase > 1)) {
            throw SettingsException.of("model.rotary-base", "must be > 1, got " + rotaryBase);
        }
        if (!(layerNormEpsilon > 0)) {
            throw SettingsException.of("model.layernorm-epsilon", "must be > 0, got " + layerNormEpsilon);
        }
        if (!(initStd > 0)) {
            throw SettingsException.of("model.init-std", "must be > 0, got " + initStd);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw SettingsException.of("model.dropout", "must be in [0, 1), got " + dropout);
        }
        if (kvHeads < 0 || (kvHeads > 0 && heads % kvHeads != 0)) {
            throw SettingsException.of("model.kv-heads", kvHeads + " key/value heads do not divide model.heads = " + heads
                    + "; use 0 (one per query head) or a divisor of " + heads);
        }
        if (mlpHiddenSize < 0) {
            throw SettingsException.of("model.mlp-hidden", "must be >= 0 (0 means the formula of model.activation), got "
                    + mlpHiddenSize);
        }
        if (architecture.attentionMask() != attentionMask) {
            throw SettingsException.of("model.architecture", architecture.key() + " does not fit model.attention-mask = "
                    + lower(attentionMask) + ": " + architecture.key() + " needs model.attention-mask = "
                    + lower(architecture.attentionMask()) + " (causal-decoder: causal, non-causal-decoder: prefix,"
                    + " encoder-decoder: causal, its decoder's); set the two alike, or model.architecture = auto to follow the mask");
        }
    }

    /**
     * This model with other choices on the ablation axes, everything else unchanged; a decoder's
     * architecture follows the new mask.
     */
    public ModelConfig withAxes(Position p, Activation a, boolean embeddingNorm, AttentionMask mask) {
        return new ModelConfig(layers, dModel, heads, seqLen, vocabSize, padVocabToMultipleOf, ffnHidden, p, a,
                swigluMultipleOf, embeddingNorm, mask, rotaryFraction, rotaryBase, layerNormEpsilon, initStd, dropout,
                norm, bias, geluApproximation, tiedOutput, parallelResidual, kvHeads, mlpHiddenSize,
                architecture == Architecture.ENCODER_DECODER ? architecture : Architecture.of(mask));
    }

    /** Key/value heads as built: kv-heads, or one per query head when it is 0 (grouped-query attention otherwise). */
    public int keyValueHeads() {
        return kvHeads == 0 ? heads : kvHeads;
    }

    /** This model as {@code model.*} settings (keys without the prefix), the inverse of the parser. */
    public java.util.Map<String, Object> toSettings() {
        var s = new java.util.LinkedHashMap<String, Object>();
        s.put("layers", layers);
        s.put("d-model", dModel);
        s.put("heads", heads);
        s.put("seq-len", seqLen);
        s.put("vocab-size", vocabSize);
        s.put("pad-vocab-to-multiple-of", padVocabToMultipleOf);
        s.put("ffn-hidden", ffnHidden);
        s.put("position", lower(position));
        s.put("activation", lower(activation));
        s.put("swiglu-multiple-of", swigluMultipleOf);
        s.put("embedding-layernorm", embeddingLayerNorm);
        s.put("attention-mask", lower(attentionMask));
        s.put("rotary-fraction", rotaryFraction);
        s.put("rotary-base", rotaryBase);
        s.put("layernorm-epsilon", layerNormEpsilon);
        s.put("init-std", initStd);
        s.put("dropout", dropout);
        s.put("norm", lower(norm));
        s.put("bias", bias);
        s.put("gelu-approximation", lower(geluApproximation));
        s.put("tied-output", tiedOutput);
        s.put("parallel-residual", parallelResidual);
        s.put("kv-heads", kvHeads);
        s.put("mlp-hidden", mlpHiddenSize);
        s.put("architecture", architecture.key());
        return s;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Size of each attention head. */
    public int headDim() {
        return dModel / heads;
    }

    /** Rows of the embedding matrix: vocab-size rounded up to pad-vocab-to-multiple-of. */
    public int paddedVocab() {
        return Math.ceilDiv(vocabSize, padVocabToMultipleOf) * padVocabToMultipleOf;
    }

    /** Hidden size of the GELU MLP. */
    public int ffn() {
        return ffnHidden == 0 ? 4 * dModel : ffnHidden;
    }

    /**
     * Hidden size of the MLP as built: mlp-hidden when set; otherwise ffn() for GELU and, for
     * SwiGLU, two thirds of it rounded to swiglu-multiple-of, so that its three matrices hold as
     * many weights as GELU's two.
     */
    public int mlpHidden() {
        if (mlpHiddenSize > 0) {
            return mlpHiddenSize;
        }
        if (activation == Activation.GELU) {
            return ffn();
        }
        long rounded = Math.round(2.0 * ffn() / 3.0 / swigluMultipleOf) * swigluMultipleOf;
        return (int) Math.max(swigluMultipleOf, rounded);
    }

    /** Dimensions of each head that rotary embeddings rotate. */
    public int rotaryDim() {
        return (int) Math.round(headDim() * rotaryFraction);
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw SettingsException.of(key, "must be a positive integer, got " + value);
        }
    }
}
