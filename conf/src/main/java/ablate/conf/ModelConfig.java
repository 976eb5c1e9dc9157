package ablate.conf;

/**
 * The shape and ablation choices of one GPT-style model (the {@code model} block of reference.conf).
 * Impossible shapes fail here, naming the key.
 *
 * <p>Sizes have upper bounds ({@link #MAX_LAYERS}, {@link #MAX_D_MODEL}, {@link #MAX_SEQ_LEN},
 * {@link #MAX_MLP_HIDDEN}; the padded vocabulary must fit an int), far above any model trained
 * today, chosen so that every size derived from a shape (parameter counts, FLOPs, memory) is exact in
 * a long: at the bounds a layer holds fewer than 2^45 weights and the model fewer than 2^62. A
 * config beyond them is a typo, and would otherwise wrap into negative sizes. What this code can
 * actually build and checkpoint (one tensor's elements, the attention mask) is narrower, and is
 * checked where a model is built (trainer's ShapeLimits), so that presets too large to train (176b)
 * can still be planned.
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
        Architecture architecture,
        int relativeBuckets,
        int relativeMaxDistance) {

    /** T5's relative attention buckets and the distance from which they all share the last (its defaults, 32 and 128). */
    public static final int DEFAULT_RELATIVE_BUCKETS = 32;
    public static final int DEFAULT_RELATIVE_MAX_DISTANCE = 128;

    /** A model of today's GPT family: LayerNorm, biases, exact GELU, tied head, sequential residual, MHA. */
    public ModelConfig(int layers, int dModel, int heads, int seqLen, int vocabSize, int padVocabToMultipleOf,
            int ffnHidden, Position position, Activation activation, int swigluMultipleOf, boolean embeddingLayerNorm,
            AttentionMask attentionMask, double rotaryFraction, double rotaryBase, double layerNormEpsilon,
            double initStd, double dropout) {
        this(layers, dModel, heads, seqLen, vocabSize, padVocabToMultipleOf, ffnHidden, position, activation,
                swigluMultipleOf, embeddingLayerNorm, attentionMask, rotaryFraction, rotaryBase, layerNormEpsilon,
                initStd, dropout, Norm.LAYERNORM, true, GeluApproximation.NONE, true, false, 0, 0);
    }

    /** 2^16 layers: some 500 times the deepest GPT trained (BLOOM has 70, GPT-3 96). */
    public static final int MAX_LAYERS = 1 << 16;
    /** 2^20: some 50 times the widest (PaLM's 18,432). */
    public static final int MAX_D_MODEL = 1 << 20;
    /** 2^24 tokens of context. */
    public static final int MAX_SEQ_LEN = 1 << 24;
    /** 2^22, four times {@link #MAX_D_MODEL}: the default GELU width at the widest model. */
    public static final int MAX_MLP_HIDDEN = 1 << 22;
    /** 2^16 relative-attention buckets: 2,000 times T5's 32. */
    public static final int MAX_RELATIVE_BUCKETS = 1 << 16;

    /** A model with T5's relative-bias buckets (which only {@link Position#RELATIVE} uses). */
    public ModelConfig(int layers, int dModel, int heads, int seqLen, int vocabSize, int padVocabToMultipleOf,
            int ffnHidden, Position position, Activation activation, int swigluMultipleOf, boolean embeddingLayerNorm,
            AttentionMask attentionMask, double rotaryFraction, double rotaryBase, double layerNormEpsilon,
            double initStd, double dropout, Norm norm, boolean bias, GeluApproximation geluApproximation,
            boolean tiedOutput, boolean parallelResidual, int kvHeads, int mlpHiddenSize, Architecture architecture) {
        this(layers, dModel, heads, seqLen, vocabSize, padVocabToMultipleOf, ffnHidden, position, activation,
                swigluMultipleOf, embeddingLayerNorm, attentionMask, rotaryFraction, rotaryBase, layerNormEpsilon,
                initStd, dropout, norm, bias, geluApproximation, tiedOutput, parallelResidual, kvHeads, mlpHiddenSize,
                architecture, DEFAULT_RELATIVE_BUCKETS, DEFAULT_RELATIVE_MAX_DISTANCE);
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
        atMost("model.layers", layers, MAX_LAYERS);
        atMost("model.d-model", dModel, MAX_D_MODEL);
        atMost("model.seq-len", seqLen, MAX_SEQ_LEN);
        atMost("model.ffn-hidden", ffnHidden, MAX_MLP_HIDDEN);
        atMost("model.mlp-hidden", mlpHiddenSize, MAX_MLP_HIDDEN);
        positive("model.pad-vocab-to-multiple-of", padVocabToMultipleOf);
        positive("model.swiglu-multiple-of", swigluMultipleOf);
        atMost("model.swiglu-multiple-of", swigluMultipleOf, MAX_MLP_HIDDEN);
        if ((long) Math.ceilDiv(vocabSize, padVocabToMultipleOf) * padVocabToMultipleOf > Integer.MAX_VALUE) {
            throw SettingsException.of("model.vocab-size", vocabSize + " rounded up to a multiple of model.pad-vocab-to-multiple-of = "
                    + padVocabToMultipleOf + " is above " + Integer.MAX_VALUE + ", the most rows an embedding can have");
        }
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
        if (position == Position.RELATIVE) {
            // T5's bucketing needs an exact bucket and a logarithmic one per direction, and a max distance beyond the exact ones
            if (relativeBuckets < 4 || relativeBuckets > MAX_RELATIVE_BUCKETS) {
                throw SettingsException.of("model.relative-buckets", "must be between 4 and " + MAX_RELATIVE_BUCKETS + ", got "
                        + relativeBuckets);
            }
            if (relativeMaxDistance <= relativeBuckets / 2 || relativeMaxDistance > MAX_SEQ_LEN) {
                throw SettingsException.of("model.relative-max-distance", "must be above half of model.relative-buckets ("
                        + relativeBuckets / 2 + ", where the exact buckets end) and at most " + MAX_SEQ_LEN + ", got " + relativeMaxDistance);
            }
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
                architecture == Architecture.ENCODER_DECODER ? architecture : Architecture.of(mask), relativeBuckets,
                relativeMaxDistance);
    }

    /**
     * This model on another architecture, with its attention mask and another seq-len, everything
     * else unchanged: the model compared with it at equal compute (trainer's ModelSize).
     */
    public ModelConfig withArchitecture(Architecture a, int newSeqLen) {
        return new ModelConfig(layers, dModel, heads, newSeqLen, vocabSize, padVocabToMultipleOf, ffnHidden, position, activation,
                swigluMultipleOf, embeddingLayerNorm, a.attentionMask(), rotaryFraction, rotaryBase, layerNormEpsilon, initStd,
                dropout, norm, bias, geluApproximation, tiedOutput, parallelResidual, kvHeads, mlpHiddenSize, a, relativeBuckets,
                relativeMaxDistance);
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
        s.put("relative-buckets", relativeBuckets);
        s.put("relative-max-distance", relativeMaxDistance);
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

    /** Hidden size of the ungated MLP (GELU, ReLU). */
    public int ffn() {
        return ffnHidden == 0 ? 4 * dModel : ffnHidden;
    }

    /**
     * Hidden size of the MLP as built: mlp-hidden when set; otherwise ffn() for the ungated
     * activations (GELU, ReLU) and, for the gated ones (SwiGLU, GEGLU), two thirds of it rounded to
     * swiglu-multiple-of, so that their three matrices hold as many weights as GELU's two.
     */
    public int mlpHidden() {
        if (mlpHiddenSize > 0) {
            return mlpHiddenSize;
        }
        if (!activation.gated()) {
            return ffn();
        }
        long rounded = Math.round(2.0 * ffn() / 3.0 / swigluMultipleOf) * swigluMultipleOf;
        return (int) Math.max(swigluMultipleOf, rounded);
    }

    /** Dimensions of each head that rotary embeddings rotate. */
    public int rotaryDim() {
        return (int) Math.round(headDim() * rotaryFraction);
    }

    private static void atMost(String key, int value, int bound) {
        if (value > bound) {
            throw SettingsException.of(key, String.format(java.util.Locale.ROOT,
                    "%,d is above the largest supported, %,d; sizes derived from it would overflow", value, bound));
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw SettingsException.of(key, "must be a positive integer, got " + value);
        }
    }
}
