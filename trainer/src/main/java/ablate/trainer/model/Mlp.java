package ablate.trainer.model;

import ablate.conf.Activation;
import ablate.conf.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * The position-wise feed-forward block: GELU (Hendrycks and Gimpel 2016; GPT-2, GPT-3, BLOOM) or
 * SwiGLU (Shazeer 2020, "GLU Variants Improve Transformer"): w2(silu(w1 x) * w3 x). SwiGLU's
 * hidden size is 2/3 of GELU's (see {@link ModelConfig#mlpHidden()}) so both hold about the same
 * number of weights, as in Shazeer's comparison.
 */
final class Mlp {
    private final Activation activation;
    private final NDArray inWeight; // (h, d): fc for GELU, w1 for SwiGLU
    private final NDArray inBias;
    private final NDArray gateWeight; // (h, d): w3, SwiGLU only
    private final NDArray gateBias;
    private final NDArray outWeight; // (d, h): proj / w2
    private final NDArray outBias;

    Mlp(Parameters params, String prefix, ModelConfig model) {
        int d = model.dModel();
        int h = model.mlpHidden();
        double std = model.initStd();
        double residualStd = std / Math.sqrt(2.0 * model.layers());
        this.activation = model.activation();
        boolean glu = activation == Activation.SWIGLU;
        this.inWeight = params.create(prefix + (glu ? "w1.weight" : "fc.weight"), new Shape(h, d), new Parameters.Init.Normal(std));
        this.inBias = params.create(prefix + (glu ? "w1.bias" : "fc.bias"), new Shape(h), new Parameters.Init.Constant(0));
        if (glu) {
            this.gateWeight = params.create(prefix + "w3.weight", new Shape(h, d), new Parameters.Init.Normal(std));
            this.gateBias = params.create(prefix + "w3.bias", new Shape(h), new Parameters.Init.Constant(0));
        } else {
            this.gateWeight = inWeight;
            this.gateBias = inBias;
        }
        this.outWeight = params.create(prefix + (glu ? "w2.weight" : "proj.weight"), new Shape(d, h), new Parameters.Init.Normal(residualStd));
        this.outBias = params.create(prefix + (glu ? "w2.bias" : "proj.bias"), new Shape(d), new Parameters.Init.Constant(0));
    }

    /** x (B, T, d) to (B, T, d). */
    NDArray forward(NDArray x) {
        NDArray hidden = Linear.linear(x, inWeight, inBias).singletonOrThrow(); // (B, T, h)
        NDArray activated = switch (activation) {
            case GELU -> hidden.getNDArrayInternal().gelu();
            case SWIGLU -> hidden.mul(hidden.getNDArrayInternal().sigmoid())
                    .mul(Linear.linear(x, gateWeight, gateBias).singletonOrThrow());
        };
        return Linear.linear(activated, outWeight, outBias).singletonOrThrow();
    }
}
