package ablate.conf;

/** The MLP's activation: the activation-function ablation axis. */
public enum Activation {
    /** Exact (erf) GELU, Hendrycks and Gimpel 2016. */
    GELU,
    /** SwiGLU, Shazeer 2020 "GLU Variants Improve Transformer". */
    SWIGLU
}
