package ablate.trainer.optim;

import ablate.trainer.model.Parameters;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Map;

/**
 * How an optimizer step changes a model's weights: AdamW on the fp32 weights themselves
 * ({@link DirectUpdate}), or on fp32 masters of fp16 weights ({@link MasterWeights}). Either way
 * the step takes fp32 gradients kept apart from the weights (summed over micro-batches and ranks).
 */
public sealed interface WeightUpdate extends AutoCloseable permits DirectUpdate, MasterWeights {
    /** What one step did: the gradient norm (unscaled, before clipping), and whether an inf/NaN gradient skipped it. */
    record Outcome(boolean skipped, double gradNorm) {}

    /** The update for the model's weights: direct for fp32 weights, through fp32 masters otherwise. */
    static WeightUpdate of(Parameters weights, AdamW.Settings settings) {
        return weights.dataType() == DataType.FLOAT32
                ? new DirectUpdate(new AdamW(weights, settings))
                : new MasterWeights(weights.all(), settings);
    }

    /**
     * Divides the step's fp32 gradients (the "main grads", by weight name; changed in place) by
     * {@code lossScale}, clips them to {@code maxNorm} (0: no clipping) and updates with learning
     * rate {@code lr}; a non-finite gradient norm skips the update.
     */
    Outcome step(double lr, double lossScale, double maxNorm, Map<String, NDArray> gradients);

    /** The fp32 weights a checkpoint holds, by name; loading into them in place and then calling {@link #restored} restores the model. */
    Map<String, NDArray> weights();

    /** AdamW's moments by name, for checkpoints. */
    Map<String, NDArray> optimizerState();

    /** After weights and moments were loaded in place: sets AdamW's step count t. */
    void restored(long optimizerSteps);

    @Override
    void close();
}
