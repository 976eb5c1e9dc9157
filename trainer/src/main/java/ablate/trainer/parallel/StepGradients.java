package ablate.trainer.parallel;

import ablate.conf.GradientReduction;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradient of one step, summed over this rank's micro-batches and then over the ranks, held
 * as one flat float32 buffer (Megatron's fp32 "main grad", also for fp16 weights) with a view per
 * weight; in {@link GradientReduction#EXACT} mode beside one flat int64 buffer of fixed-point sums.
 * One flat buffer means one collective call per step, whatever the number of tensors.
 *
 * <p>After each micro-batch's backward, {@link #add} takes the gradients out of the weights (and
 * clears them there): EXACT rounds them onto the step's {@link FixedPointGrid} and adds integers,
 * FAST adds float32. {@link #reduce} then sums over the group and leaves the main grads.
 */
public final class StepGradients implements AutoCloseable {
    private final GradientReduction mode;
    private final List<NDArray> weights;
    private final long[] offsets; // tensor t occupies [offsets[t], offsets[t + 1]) of the flat buffers
    private final NDManager manager;
    private final NDArray main; // (P) float32
    private final List<NDArray> mainViews = new ArrayList<>();
    private final Map<String, NDArray> byName = new LinkedHashMap<>();
    private final NDArray fixed; // (P) int64, EXACT only; empty otherwise
    private final List<NDArray> fixedViews = new ArrayList<>();

    /** @param weights the model's weights by name (fp32 or fp16), in a fixed order */
    public StepGradients(NDManager parent, Map<String, NDArray> weights, GradientReduction mode) {
        this.mode = mode;
        this.weights = List.copyOf(weights.values());
        this.offsets = new long[this.weights.size() + 1];
        for (int t = 0; t < this.weights.size(); t++) {
            offsets[t + 1] = offsets[t] + this.weights.get(t).size();
        }
        this.manager = parent.newSubManager();
        long total = offsets[this.weights.size()];
        this.main = manager.zeros(new Shape(total), DataType.FLOAT32);
        this.fixed = manager.zeros(new Shape(mode == GradientReduction.EXACT ? total : 0), DataType.INT64);
        List<String> names = List.copyOf(weights.keySet());
        for (int t = 0; t < this.weights.size(); t++) {
            Shape shape = this.weights.get(t).getShape();
            NDArray view = main.get(new NDIndex("{}:{}", offsets[t], offsets[t + 1])).reshape(shape);
            mainViews.add(view);
            byName.put(names.get(t), view);
            if (mode == GradientReduction.EXACT) {
                fixedViews.add(fixed.get(new NDIndex("{}:{}", offsets[t], offsets[t + 1])).reshape(shape));
            }
        }
    }

    public GradientReduction mode() {
        return mode;
    }

    /** Weight tensors, in the order of the maxima and grid exponents. */
    public int tensors() {
        return weights.size();
    }

    /** Elements of all weights together. */
    public long size() {
        return offsets[weights.size()];
    }

    /** Zeroes the sums before a step's first micro-batch. */
    public void clear() {
        main.set(new NDIndex(":"), 0); // a fill, not a multiplication: a poisoned step left NaN, and NaN x 0 is NaN
        if (mode == GradientReduction.EXACT) {
            fixed.set(new NDIndex(":"), 0);
        }
    }

    /**
     * Takes one micro-batch's gradients out of the weights (clearing them there). EXACT measures
     * the largest |gradient| of each tensor (inf or NaN when there is one) and adds them only when
     * {@code grid} holds them ({@code accumulate} and {@link FixedPointGrid#fits}); otherwise only
     * the maxima are measured and the caller recomputes the step on a new grid. FAST adds them as
     * float32 and measures nothing (its maxima are zeros; an inf/NaN shows in the gradient norm).
     *
     * @return the maxima, and whether the gradients were added
     */
    public Added add(FixedPointGrid grid, int microBatches, boolean accumulate) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<NDArray> gradients = new ArrayList<>(weights.size());
            for (NDArray w : weights) {
                NDArray g = w.getGradient();
                gradients.add(g.getDataType() == DataType.FLOAT32 ? g : g.toType(DataType.FLOAT32, false));
            }
            float[] maxAbs = new float[weights.size()];
            boolean added = false;
            if (mode == GradientReduction.FAST) {
                for (int t = 0; t < gradients.size(); t++) {
                    mainViews.get(t).addi(gradients.get(t));
                }
                added = true;
            } else if (measure(gradients, maxAbs) && accumulate && grid != null && grid.fits(maxAbs, microBatches)) {
                for (int t = 0; t < gradients.size(); t++) {
                    // exact: multiplying by a power of two; round half to even; the integers fit (fits() above)
                    fixedViews.get(t).addi(gradients.get(t).mul(grid.scale(t)).round().toType(DataType.INT64, false));
                }
                added = true;
            }
            for (NDArray w : weights) {
                JniUtils.zeroGrad((PtNDArray) w);
            }
            return new Added(maxAbs, added);
        }
    }

    /** The maxima of one micro-batch's gradients, and whether they went into the sums. */
    public record Added(float[] maxAbs, boolean added) {}

    /**
     * Sums this rank's micro-batch sums over the group into the main grads: EXACT through the
     * fixed-point buffer and {@code grid}, FAST as float32.
     *
     * @return the main grads by weight name (views of one flat buffer, valid until the next step)
     */
    public Map<String, NDArray> reduce(AllReduce group, FixedPointGrid grid) {
        if (mode == GradientReduction.EXACT) {
            group.sumFixedPoint(fixed, grid, offsets, main);
        } else {
            group.sum(List.of(main));
        }
        return Collections.unmodifiableMap(byName);
    }

    /** Main grads of a step whose gradients were inf or NaN somewhere: all NaN, so nothing can use them by mistake. */
    public Map<String, NDArray> poisoned() {
        main.muli(0).addi(Float.NaN);
        return Collections.unmodifiableMap(byName);
    }

    /** The main grads by weight name, as the last {@link #reduce} left them. */
    public Map<String, NDArray> mainGrads() {
        return Collections.unmodifiableMap(byName);
    }

    /** Fills {@code maxAbs} with each gradient's largest magnitude (one host sync); true when all are finite. */
    private static boolean measure(List<NDArray> gradients, float[] maxAbs) {
        NDList maxima = new NDList(gradients.size());
        for (NDArray g : gradients) {
            maxima.add(g.abs().max());
        }
        float[] measured = NDArrays.stack(maxima).toFloatArray();
        System.arraycopy(measured, 0, maxAbs, 0, maxAbs.length);
        for (float v : measured) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        manager.close();
    }
}
