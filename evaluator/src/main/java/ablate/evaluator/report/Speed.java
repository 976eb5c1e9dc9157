package ablate.evaluator.report;

import java.util.Arrays;
import java.util.List;

/**
 * A run's training throughput as its logged steps measured it, with how much it varied, so that
 * two runs' tokens/s are compared against their noise rather than as two bare numbers.
 *
 * <p>The first {@link #WARMUP_STEPS} logged steps are left out: they carry the JIT, libtorch's first
 * calls and the allocator's growth ({@code ablate bench} skips 3 by default for the same reason; 5
 * leaves margin for a GPU's kernel selection). A run that logged no more than that keeps them all.
 *
 * @param median tokens/s, the median over the kept steps; NaN when the run logged none
 * @param q1 first quartile of tokens/s over the same steps
 * @param q3 third quartile
 * @param variability a robust coefficient of variation of the step time: (interquartile range / 1.349)
 *     / median, which is sd / mean for normal noise, but a lone slow step (a GC pause, a checkpoint's
 *     fsync) does not move it the way it moves the standard deviation; a machine shared with other
 *     work widens it
 * @param steps how many steps these figures come from
 */
public record Speed(double median, double q1, double q3, double variability, int steps) {
    public static final int WARMUP_STEPS = 5;
    /** IQR / 1.349 estimates the standard deviation of normal noise. */
    private static final double IQR_PER_SD = 1.349;

    public static final Speed UNKNOWN = new Speed(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);

    /** From each logged step's tokens/s, in order (non-positive or missing rates are dropped). */
    public static Speed of(List<Double> tokensPerSecond) {
        List<Double> kept = tokensPerSecond.size() > WARMUP_STEPS
                ? tokensPerSecond.subList(WARMUP_STEPS, tokensPerSecond.size()) : tokensPerSecond;
        double[] rates = kept.stream().mapToDouble(Double::doubleValue).filter(r -> r > 0 && Double.isFinite(r)).sorted().toArray();
        if (rates.length == 0) {
            return UNKNOWN;
        }
        // A step's time is tokens per step / its rate; tokens per step is fixed in a run, so 1 / rate
        // has the step time's coefficient of variation.
        double[] times = Arrays.stream(rates).map(r -> 1 / r).sorted().toArray();
        double timeIqr = quantile(times, 0.75) - quantile(times, 0.25);
        return new Speed(quantile(rates, 0.5), quantile(rates, 0.25), quantile(rates, 0.75),
                timeIqr / IQR_PER_SD / quantile(times, 0.5), rates.length);
    }

    public boolean known() {
        return !Double.isNaN(median);
    }

    /** Half the interquartile range: the ± the report prints after the median. */
    public double spread() {
        return (q3 - q1) / 2;
    }

    /** Whether the middle halves of the two runs' step rates overlap. */
    public boolean overlaps(Speed other) {
        return q1 <= other.q3 && other.q1 <= q3;
    }

    /** Linear interpolation between order statistics (Hyndman and Fan's type 7, numpy's default). */
    static double quantile(double[] sorted, double p) {
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
