package ablate.conf;

/** How the GELU and GEGLU MLPs compute the GELU (ignored by SwiGLU and ReLU). */
public enum GeluApproximation {
    /** Exact GELU, x * Phi(x) with the error function (GPT-NeoX's "gelu"). */
    NONE,
    /** The tanh approximation of Hendrycks and Gimpel 2016 (GPT-2's "gelu_new", BLOOM). */
    TANH
}
