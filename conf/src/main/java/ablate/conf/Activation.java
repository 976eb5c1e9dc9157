package ablate.conf;

/**
 * The MLP's activation: the activation-function ablation axis. The gated ones (SwiGLU, GEGLU) have
 * three matrices, w2(act(w1 x) * w3 x), and a hidden size of two thirds of the ungated ones' (see
 * {@link ModelConfig#mlpHidden()}), so that both hold about as many weights.
 */
public enum Activation {
    /** GELU, Hendrycks and Gimpel 2016: exact (erf) or its tanh approximation, see {@link GeluApproximation}. */
    GELU,
    /** SwiGLU, Shazeer 2020 "GLU Variants Improve Transformer": w2(silu(w1 x) * w3 x). */
    SWIGLU,
    /** ReLU, as in the original Transformer (Vaswani et al. 2017) and T5 v1.0 (Raffel et al. 2020). */
    RELU,
    /**
     * GEGLU, Shazeer 2020 "GLU Variants Improve Transformer": w2(gelu(w1 x) * w3 x), the GELU exact or
     * approximated as model.gelu-approximation says; T5 v1.1 and Flan-T5 use it with the tanh
     * approximation (their "gated-gelu").
     */
    GEGLU;

    /** Whether the MLP multiplies the activated projection by a second (gate) projection: three matrices, not two. */
    public boolean gated() {
        return this == SWIGLU || this == GEGLU;
    }
}
