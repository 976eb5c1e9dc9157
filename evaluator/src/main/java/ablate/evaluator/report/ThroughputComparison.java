package ablate.evaluator.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A variant's tokens/s against the base's. The ratio of medians is a finding only where the middle
 * halves of the two runs' step rates do not overlap; otherwise it is "within noise". Throughput also
 * depends on what else the machine was doing, so two runs whose step times varied very differently
 * (robust coefficients of variation more than {@link #LOAD_RATIO} apart) are flagged as perhaps
 * measured under different load, and runs on different devices as not comparable at all: a ranking
 * of such runs can flip between a loaded and a quiet machine.
 */
public record ThroughputComparison(Variant variant, Variant base) {
    public static final double LOAD_RATIO = 2;
    /**
     * Variabilities below 1% count as 1%: two steady runs (0.2% and 0.6%) are not "differently
     * loaded" because one ratio of tiny numbers is large.
     */
    static final double VARIABILITY_FLOOR = 0.01;

    /** Both runs logged their throughput. */
    public boolean measured() {
        return variant.speed().known() && base.speed().known();
    }

    public double ratio() {
        return variant.speed().median() / base.speed().median();
    }

    public boolean withinNoise() {
        return variant.speed().overlaps(base.speed());
    }

    /** The larger run's step-time variability over the smaller's (each at least the floor). */
    public double variabilityRatio() {
        double a = Math.max(VARIABILITY_FLOOR, variant.speed().variability());
        double b = Math.max(VARIABILITY_FLOOR, base.speed().variability());
        return Math.max(a, b) / Math.min(a, b);
    }

    public boolean differentLoad() {
        return variabilityRatio() > LOAD_RATIO;
    }

    public boolean differentDevices() {
        return !variant.device().equals(base.device());
    }

    /**
     * One line, e.g. "alibi: throughput x0.97 vs learned (11,480 ± 250 vs 11,820 ± 310 tokens/s,
     * median ± half the IQR): within noise".
     */
    public String describe() {
        Speed speed = variant.speed();
        Speed baseSpeed = base.speed();
        if (!measured()) {
            return variant.name() + ": throughput not compared (" + (speed.known() ? base : variant).name() + " logged no tokens/s)";
        }
        String verdict = withinNoise() ? "within noise (the middle halves of their steps' rates overlap)"
                : ratio() > 1 ? "faster beyond the noise" : "slower beyond the noise";
        List<String> flags = new ArrayList<>();
        if (differentDevices()) {
            flags.add(String.format(Locale.ROOT, "measured on different devices (%s vs %s): not comparable",
                    variant.device(), base.device()));
        }
        if (differentLoad()) {
            flags.add(String.format(Locale.ROOT, "measured under different load? (step-time variability %.1f%% vs %.1f%%, "
                    + "%.1fx apart)", 100 * speed.variability(), 100 * baseSpeed.variability(), variabilityRatio()));
        }
        return String.format(Locale.ROOT, "%s: throughput x%.2f vs %s (%s vs %s tokens/s, median ± half the IQR over %d and %d steps): %s%s",
                variant.name(), ratio(), base.name(), rate(speed), rate(baseSpeed), speed.steps(), baseSpeed.steps(), verdict,
                flags.isEmpty() ? "" : "; " + String.join("; ", flags));
    }

    static String rate(Speed s) {
        return String.format(Locale.ROOT, "%,.0f ± %,.0f", s.median(), s.spread());
    }
}
