package ablate.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The optimizer side of fp16 training with fp16 weights (Megatron-LM's
 * Float16OptimizerWithFloat16Params, apex's O2): fp32 master copies of the model's fp16 weights,
 * AdamW with fp32 moments over the masters, and the step: unscale the fp16 gradients into fp32,
 * skip the step if any is inf or NaN, otherwise clip, update the masters and round them back into
 * the fp16 weights. Checkpoints hold the masters, so a checkpoint of an fp16 run is an fp32 model.
 */
public final class MasterWeights implements WeightUpdate {
    private final Map<String, NDArray> half;
    private final Map<String, NDArray> masters = new LinkedHashMap<>();
    private final AdamW optimizer;

    /** @param half the model's fp16 weights by name; the masters start as their exact fp32 values */
    public MasterWeights(Map<String, NDArray> half, AdamW.Settings settings) {
        this.half = half;
        half.forEach((name, w) -> masters.put(name, w.toType(DataType.FLOAT32, true)));
        this.optimizer = new AdamW(Collections.unmodifiableMap(masters), settings);
    }

    /**
     * Unscales the step's fp32 gradients by {@code 1 / lossScale} (in place), and, when their norm
     * is finite, clips to {@code maxNorm}, updates the masters with learning rate {@code lr} and
     * rounds them into the fp16 weights; otherwise the step is skipped.
     */
    @Override
    public Outcome step(double lr, double lossScale, double maxNorm, Map<String, NDArray> gradients) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            float inverse = (float) (1 / lossScale);
            gradients.values().forEach(g -> g.muli(inverse));
            // an inf or NaN anywhere makes the norm inf or NaN: one host sync finds overflow and clips
            double norm = optimizer.clipGradients(gradients, maxNorm);
            boolean overflow = !Double.isFinite(norm);
            if (!overflow) {
                optimizer.step(lr, gradients);
                half.forEach((name, w) -> w.muli(0).addi(masters.get(name).toType(w.getDataType(), false)));
            }
            return new Outcome(overflow, norm);
        }
    }

    /** The fp32 masters by name, for checkpoints (the fp16 weights are their rounding). */
    @Override
    public Map<String, NDArray> weights() {
        return Collections.unmodifiableMap(masters);
    }

    @Override
    public Map<String, NDArray> optimizerState() {
        return optimizer.state();
    }

    /** After masters and moments were loaded in place: rounds the masters into the fp16 weights and sets AdamW's t. */
    @Override
    public void restored(long optimizerSteps) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            half.forEach((name, w) -> w.muli(0).addi(masters.get(name).toType(w.getDataType(), false)));
        }
        optimizer.restoreSteps(optimizerSteps);
    }

    @Override
    public void close() {
        masters.values().forEach(NDArray::close);
    }
}
