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
 * One flat buffer means one collective call per step, whatever the number of tensors, and the
 * per-micro-batch work is a handful of operations on the flat gradient rather than several per
 * weight tensor.
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
    private final NDArray scaleVector; // (P) float32: 2^-exponent(t) over tensor t's elements, EXACT only
    private final List<NDArray> scaleViews = new ArrayList<>();
    private FixedPointGrid scalesGrid = new FixedPointGrid(new int[0]);

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
        this.scaleVector = manager.zeros(new Shape(mode == GradientReduction.EXACT ? total : 0), DataType.FLOAT32);
        List<String> names = List.copyOf(weights.keySet());
        for (int t = 0; t < this.weights.size(); t++) {
            Shape shape = this.weights.get(t).getShape();
            NDArray view = main.get(new NDIndex("{}:{}", offsets[t], offsets[t + 1])).reshape(shape);
            mainViews.add(view);
            byName.put(names.get(t), view);
            if (mode == GradientReduction.EXACT) {
                scaleViews.add(scaleVector.get(new NDIndex("{}:{}", offsets[t], offsets[t + 1])));
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

    /**
     * Zeroes the sums before a step's first micro-batch, and the weights' own gradients: a step
     * interrupted between a backward and {@link #add} (its group broke) left them holding one.
     */
    public void clear() {
        for (NDArray w : weights) {
            JniUtils.zeroGrad((PtNDArray) w);
        }
        main.set(new NDIndex(":"), 0); // a fill, not a multiplication: a poisoned step left NaN, and NaN x 0 is NaN
        if (mode == GradientReduction.EXACT) {
            fixed.set(new NDIndex(":"), 0);
        }
    }

    /**
     * Takes one micro-batch's gradients out of the weights (clearing them there) and adds them to
     * the step's sums. FAST adds float32. EXACT multiplies the flat gradient by the grid's
     * per-element scale, checks its largest magnitude against the integer headroom (one host sync)
     * and adds the rounded integers; a micro-batch that does not fit (or any micro-batch when
     * there is no grid yet) is not added: its per-tensor maxima are measured instead, so that the
     * caller can widen the grid and recompute the step. Whether a micro-batch fits depends on it and
     * the grid alone, never on which rank computes it or what it computed before.
     */
    public Added add(FixedPointGrid grid, int microBatches) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList pieces = new NDList(weights.size());
            for (NDArray w : weights) {
                pieces.add(w.getGradient().reshape(-1));
            }
            NDArray flat = NDArrays.concat(pieces);
            NDArray g = flat.getDataType() == DataType.FLOAT32 ? flat : flat.toType(DataType.FLOAT32, false);
            float[] maxAbs = new float[weights.size()];
            boolean added = false;
            boolean finite = true;
            if (mode == GradientReduction.FAST) {
                main.addi(g);
                added = true;
            } else {
                if (grid.tensors() == weights.size()) {
                    NDArray q = g.mul(scales(grid)); // exact: multiplying by powers of two
                    float peak = q.abs().max().getFloat();
                    if (peak < grid.limit(microBatches)) { // false for inf and NaN too
                        fixed.addi(q.round().toType(DataType.INT64, false)); // round half to even
                        added = true;
                    }
                }
                if (!added) {
                    // outgrew the grid, or an inf/NaN: the per-tensor maxima tell which (an inf of the
                    // scaled value alone is an outgrown grid, not an inf gradient)
                    finite = measure(g, maxAbs);
                }
            }
            for (NDArray w : weights) {
                JniUtils.zeroGrad((PtNDArray) w);
            }
            return new Added(maxAbs, added, finite);
        }
    }

    /** The flat per-element multiplier 2^-exponent(t) of {@code grid}, rebuilt when the grid changes. */
    private NDArray scales(FixedPointGrid grid) {
        if (!grid.equals(scalesGrid)) {
            for (int t = 0; t < weights.size(); t++) {
                scaleViews.get(t).set(new NDIndex(":"), grid.scale(t));
            }
            scalesGrid = grid;
        }
        return scaleVector;
    }

    /** Each tensor's largest |value| in {@code flat} (one host sync); true when all are finite. */
    private boolean measure(NDArray flat, float[] maxAbs) {
        NDList maxima = new NDList(weights.size());
        for (int t = 0; t < weights.size(); t++) {
            maxima.add(flat.get(new NDIndex("{}:{}", offsets[t], offsets[t + 1])).abs().max());
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

    /** The largest |value| per tensor of the summed main grads (after {@link #reduce}): what the next step's grid is fitted to. */
    public float[] summedMaxAbs() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            float[] maxAbs = new float[weights.size()];
            measure(main, maxAbs);
            return maxAbs;
        }
    }

    /**
     * One micro-batch's outcome: whether it went into the sums, whether its gradients were all
     * finite, and the per-tensor maxima when they were measured (zeros when it was simply added).
     */
    public record Added(float[] maxAbs, boolean added, boolean finite) {}

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

    @Override
    public void close() {
        manager.close();
    }
}
