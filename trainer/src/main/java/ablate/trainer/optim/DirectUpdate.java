package ablate.trainer.optim;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** AdamW on fp32 weights; no loss scaling. A step whose gradient norm is inf or NaN leaves the weights alone. */
public record DirectUpdate(AdamW optimizer) implements WeightUpdate {
    @Override
    public Outcome step(double lr, double lossScale, double maxNorm, Map<String, NDArray> gradients) {
        double norm = optimizer.clipGradients(gradients, maxNorm);
        if (!Double.isFinite(norm)) {
            return new Outcome(true, norm);
        }
        optimizer.step(lr, gradients);
        return new Outcome(false, norm);
    }

    @Override
    public Map<String, NDArray> weights() {
        return optimizer.weights();
    }

    @Override
    public Map<String, NDArray> optimizerState() {
        return optimizer.state();
    }

    @Override
    public void restored(long optimizerSteps) {
        optimizer.restoreSteps(optimizerSteps);
    }

    @Override
    public void close() {}
}
