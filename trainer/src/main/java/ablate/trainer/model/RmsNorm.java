package ablate.trainer.model;

import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * RMSNorm (Zhang and Sennrich 2019, "Root Mean Square Layer Normalization"; LLaMA): x divided by
 * the root mean square of its last dimension (plus eps inside the root), times a gain; no
 * centering, no bias.
 */
final class RmsNorm implements Normalization {
    private final NDArray weight;
    private final NDArray eps; // a scalar libtorch owns (see Torch.scalar)

    RmsNorm(Parameters params, String prefix, int dim, double eps) {
        this.weight = params.create(prefix + "weight", new Shape(dim), new Parameters.Init.Constant(1));
        this.eps = Torch.scalar(params.manager(), (float) eps);
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true); // (..., 1)
        return x.div(meanSquare.add(eps).sqrt()).mul(weight);
    }
}
