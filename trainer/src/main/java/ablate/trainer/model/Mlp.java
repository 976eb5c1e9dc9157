package ablate.trainer.model;

import ablate.conf.Activation;
import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The position-wise feed-forward block: proj(act(fc x)) with GELU (Hendrycks and Gimpel 2016;
 * GPT-2, GPT-3, BLOOM), exact or in its tanh approximation, or ReLU (Vaswani et al. 2017; T5 v1.0,
 * Raffel et al. 2020); or a GLU variant (Shazeer 2020, "GLU Variants Improve Transformer"),
 * w2(act(w1 x) * w3 x), with SiLU (SwiGLU, LLaMA) or GELU (GEGLU, T5 v1.1), the GELU as above.
 * The gated MLPs' hidden size is 2/3 of the ungated ones' (see {@link ModelConfig#mlpHidden()}) so
 * both hold about the same number of weights, as in Shazeer's comparison.
 */
final class Mlp {
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private final Activation activation;
    private final GeluApproximation approximation;
    private final Dense in; // (h, d): fc for GELU and ReLU, w1 (activated) for SwiGLU and GEGLU
    private final Dense gate; // (h, d): w3, gated MLPs only (the same layer as `in` for GELU and ReLU)
    private final Dense out; // (d, h): proj / w2
    private final TanhConstants tanh; // the tanh approximation's numbers as scalars libtorch owns (see Torch.scalar)

    /** 3, 0.044715, sqrt(2 / pi), 0.5 and 1: scalars inside the autograd graph must not live in Java buffers. */
    private record TanhConstants(NDArray three, NDArray cubic, NDArray sqrt2OverPi, NDArray half, NDArray one) {
        static TanhConstants of(ai.djl.ndarray.NDManager m) {
            return new TanhConstants(Torch.scalar(m, 3f), Torch.scalar(m, 0.044715f), Torch.scalar(m, SQRT_2_OVER_PI),
                    Torch.scalar(m, 0.5f), Torch.scalar(m, 1f));
        }
    }

    Mlp(Parameters params, String prefix, ModelConfig model) {
        int d = model.dModel();
        int h = model.mlpHidden();
        double std = model.initStd();
        double residualStd = std / Math.sqrt(2.0 * model.layers());
        this.activation = model.activation();
        this.approximation = model.geluApproximation();
        boolean glu = activation.gated();
        this.in = new Dense(params, prefix + (glu ? "w1" : "fc"), new Shape(h, d), new Parameters.Init.Normal(std), model.bias());
        this.gate = glu ? new Dense(params, prefix + "w3", new Shape(h, d), new Parameters.Init.Normal(std), model.bias()) : in;
        this.out = new Dense(params, prefix + (glu ? "w2" : "proj"), new Shape(d, h), new Parameters.Init.Normal(residualStd), model.bias());
        this.tanh = TanhConstants.of(params.manager());
    }

    /** x (B, T, d) to (B, T, d). */
    NDArray forward(NDArray x) {
        NDArray hidden = in.forward(x); // (B, T, h)
        NDArray activated = switch (activation) {
            case GELU -> gelu(hidden);
            case SWIGLU -> hidden.mul(hidden.getNDArrayInternal().sigmoid()).mul(gate.forward(x));
            case RELU -> hidden.getNDArrayInternal().relu();
            case GEGLU -> gelu(hidden).mul(gate.forward(x));
        };
        return out.forward(activated);
    }

    private NDArray gelu(NDArray x) {
        return approximation == GeluApproximation.NONE ? x.getNDArrayInternal().gelu() : tanhGelu(x);
    }

    /** 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
    private NDArray tanhGelu(NDArray x) {
        NDArray inner = x.add(x.pow(tanh.three()).mul(tanh.cubic())).mul(tanh.sqrt2OverPi());
        return x.mul(tanh.half()).mul(inner.tanh().add(tanh.one()));
    }
}
