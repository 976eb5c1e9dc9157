package ablate.trainer.parallel;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * The fixed-point grid of exact gradient reduction: weight tensor t's gradients are rounded to
 * multiples of 2^{@code exponents[t]} and carried as int64, so that summing micro-batch gradients
 * is integer addition, which is associative: the sum does not depend on how the micro-batches are
 * spread over ranks nor on the order they are added in.
 *
 * <p>The grid of a step is fitted to the largest |value| per tensor of the previous step's summed
 * gradient ({@link #fitting}), with {@value #GROWTH_BITS} bits of headroom for growth and
 * {@code ceil(log2(micro-batches))} bits so that the sum of a step's micro-batches cannot
 * overflow. A micro-batch that outgrows the grid (checked against {@link #limit}) makes every rank
 * recompute the step on the grid {@link #widened} to the maxima of the micro-batches that did not
 * fit; whether a micro-batch fits depends on it and the grid only, so the recompute decision and
 * the widened grid do not depend on how micro-batches are spread over ranks. The step is
 * 2^-(62 - h - 16) = 2^-36 (h = 10 bits for 1024 micro-batches) to 2^-46 (one micro-batch) of the
 * tensor's largest summed gradient, against float32's 2^-24 of each value, so the rounding costs
 * far less than a float32 sum does.
 *
 * <p>Error bound against the exact real sum S of M micro-batch gradients of one element: each
 * rounding to the grid errs by at most half a step, so the integer sum is within M x 2^(e-1) of
 * S, and the final conversion to float32 adds at most half an ulp of the result (plus 2^-29 of it
 * for the intermediate float64). A plain float32 sum of the same M values errs by up to
 * (M - 1) x 2^-24 x sum |g_m|, and its result depends on the order of the additions.
 */
public record FixedPointGrid(int[] exponents) {
    /** Bits of headroom for the largest gradient to grow between two steps before a recompute. */
    public static final int GROWTH_BITS = 16;
    /** The finest step: gradients below 2^-120 round to zero (the multiplier 2^120 must stay a float32). */
    public static final int MIN_EXPONENT = -120;
    /** The integer sum of a step stays below 2^62, so it never overflows an int64. */
    private static final int SUM_BITS = 62;

    public FixedPointGrid {
        exponents = exponents.clone();
    }

    /** The grid for gradients whose largest magnitudes per tensor are {@code maxAbs}, summed over {@code microBatches}. */
    public static FixedPointGrid fitting(float[] maxAbs, int microBatches, FixedPointGrid previous) {
        int[] e = new int[maxAbs.length];
        int budget = SUM_BITS - headroomBits(microBatches) - GROWTH_BITS;
        for (int t = 0; t < e.length; t++) {
            if (maxAbs[t] > 0) {
                e[t] = Math.max(MIN_EXPONENT, Math.getExponent(maxAbs[t]) + 1 - budget);
            } else {
                e[t] = previous != null && previous.exponents.length == e.length ? previous.exponents[t] : MIN_EXPONENT;
            }
        }
        return new FixedPointGrid(e);
    }

    /** Bits reserved so that {@code microBatches} values each below 2^(62 - h) sum below 2^62. */
    static int headroomBits(int microBatches) {
        return 32 - Integer.numberOfLeadingZeros(Math.max(1, microBatches) - 1);
    }

    public int tensors() {
        return exponents.length;
    }

    /** Whether every tensor's largest |gradient| rounds onto this grid without risking overflow of a sum of {@code microBatches}. */
    public boolean fits(float[] maxAbs, int microBatches) {
        if (maxAbs.length != exponents.length) {
            return false;
        }
        int limit = SUM_BITS - headroomBits(microBatches);
        for (int t = 0; t < maxAbs.length; t++) {
            if (!(maxAbs[t] < Math.scalb(1.0, limit + exponents[t]))) {
                return false;
            }
        }
        return true;
    }

    /** This grid widened where {@code maxAbs} (maxima of micro-batches that did not fit) needs it; never finer than before. */
    public FixedPointGrid widened(float[] maxAbs, int microBatches) {
        FixedPointGrid needed = fitting(maxAbs, microBatches, this);
        if (exponents.length != needed.exponents.length) {
            return needed; // no grid before: fitted to the step's own maxima
        }
        int[] e = exponents.clone();
        for (int t = 0; t < e.length; t++) {
            e[t] = Math.max(e[t], needed.exponents[t]);
        }
        return new FixedPointGrid(e);
    }

    /** The largest |scaled value| a micro-batch may have: {@code microBatches} of them sum below 2^62. */
    public float limit(int microBatches) {
        return Math.scalb(1f, SUM_BITS - headroomBits(microBatches));
    }

    /** The float32 multiplier that maps tensor t's gradients onto integers (exact: a power of two within float32's range). */
    public float scale(int t) {
        return Math.scalb(1f, -exponents[t]);
    }

    /**
     * Converts integer sums back to float32: element i (of the flat layout in which tensor t starts
     * at {@code offsets[t]}) becomes {@code (float) (sums[i] x 2^exponents[t])}, for i in
     * [start, end). The one conversion every rank and a single process use, so results agree.
     */
    public void decode(long[] offsets, LongBuffer sums, FloatBuffer out, long start, long end) {
        int t = tensorAt(offsets, start);
        for (long i = start; i < end; ) {
            long stop = Math.min(end, offsets[t + 1]);
            double step = Math.scalb(1.0, exponents[t]);
            for (; i < stop; i++) {
                int k = (int) i;
                out.put(k, (float) (sums.get(k) * step));
            }
            t++;
        }
    }

    /** The tensor whose range holds element i; offsets has one entry per tensor plus the total at the end. */
    private static int tensorAt(long[] offsets, long i) {
        int found = Arrays.binarySearch(offsets, i);
        int t = found >= 0 ? found : -found - 2;
        while (t + 1 < offsets.length - 1 && offsets[t + 1] == i) {
            t++; // skip empty tensors that start where the next one does
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FixedPointGrid g && Arrays.equals(exponents, g.exponents);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(exponents);
    }

    @Override
    public String toString() {
        return "FixedPointGrid" + Arrays.toString(exponents);
    }
}
