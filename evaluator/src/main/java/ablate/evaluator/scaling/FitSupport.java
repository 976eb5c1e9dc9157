package ablate.evaluator.scaling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * When measured points can determine L = E + A·X^-α, and when a fitted law's intervals are a
 * finding. A law with a floor has three parameters, and E and α trade off against each other: over a
 * narrow range of X a flatter law with a lower floor fits as well as a steeper one with a higher
 * floor. Fitted anyway, a few points give intervals many orders of magnitude wide, and their
 * bootstrap resamples repeat the same set, so its percentile interval has zero width. Both would
 * read as findings; these rules say "not determined" instead, with the reason.
 */
public final class FitSupport {
    /** Distinct X: with fewer than the three parameters, any α fits exactly with a matching E. */
    public static final int MIN_DISTINCT = 3;
    /** One point more than parameters, so that the residuals estimate the noise (n - 3 degrees of freedom). */
    public static final int MIN_POINTS = 4;
    /**
     * Points taken from a single run share its seed, data order and learning-rate schedule, so they
     * are not independent draws: twice the parameters before such a curve is fitted alone.
     */
    public static final int MIN_POINTS_ONE_RUN = 6;
    /**
     * Largest over smallest X. Over less than a factor of 4 (0.6 decades) X^-α is nearly a straight
     * line for any α between 0 and 1, so the curvature that separates α from E is not seen.
     */
    public static final double MIN_SPAN = 4;
    /** A 95% interval on A or α wider than this factor (two orders of magnitude) determines nothing. */
    public static final double MAX_RATIO = 100;
    /** Fewer refitted resamples make the bootstrap's 2.5% and 97.5% percentiles a handful of values. */
    public static final int MIN_RESAMPLES = 20;
    /**
     * Resamples that find no minimum, as a share of those refitted, beyond which the bootstrap says the
     * points leave the law free: its percentile interval would be taken over the resamples that
     * happened to converge, and be narrower than the data allow.
     */
    public static final double MAX_UNCONVERGED = 0.05;

    private FitSupport() {}

    /**
     * Why these points cannot determine the law, or empty when they can.
     *
     * @param x the points' X (parameters, tokens or FLOPs)
     * @param runs how many runs the points come from
     * @param what what X counts, singular ("model size", "token count"), for the reason
     */
    public static Optional<String> lacking(double[] x, int runs, String what) {
        long distinct = Arrays.stream(x).distinct().count();
        if (distinct < MIN_DISTINCT) {
            return Optional.of(String.format(Locale.ROOT, "%d distinct %s%s; need >= %d", distinct, what,
                    distinct == 1 ? "" : "s", MIN_DISTINCT));
        }
        if (x.length < MIN_POINTS) {
            return Optional.of(String.format(Locale.ROOT, "%d points for 3 parameters (E, A, α) leave no residual to "
                    + "estimate the noise; need >= %d", x.length, MIN_POINTS));
        }
        double span = Arrays.stream(x).max().orElseThrow() / Arrays.stream(x).min().orElseThrow();
        if (span < MIN_SPAN) {
            return Optional.of(String.format(Locale.ROOT, "the %ss span a factor of %.1f; need >= %.0f, over less E and α "
                    + "trade off almost freely", what, span, MIN_SPAN));
        }
        if (runs < 2 && x.length < MIN_POINTS_ONE_RUN) {
            return Optional.of(String.format(Locale.ROOT, "%d points from one run; need >= %d from one run (they share "
                    + "its seed, data order and learning-rate schedule) or points from more runs", x.length, MIN_POINTS_ONE_RUN));
        }
        return Optional.empty();
    }

    /**
     * Why the fitted law's 95% intervals determine nothing, or empty when they are informative: A or
     * α over more than two orders of magnitude, α possibly not positive (no decrease), or E wider than
     * the measured losses themselves. The bootstrap's intervals count too where it is informative.
     */
    public static Optional<String> undetermined(PowerLawFit.Result fit, double maxLoss) {
        List<String> reasons = new ArrayList<>(check("", new Bounds(fit.e().low(), fit.e().high()),
                new Bounds(fit.a().low(), fit.a().high()), new Bounds(fit.alpha().low(), fit.alpha().high()), maxLoss));
        if (fit.resamples() > 0 && fit.unconverged() > MAX_UNCONVERGED * fit.resamples()) {
            reasons.add(String.format(Locale.ROOT, "%d of %d bootstrap resamples found no minimum (none within %,d evaluations, "
                    + "or a singular step: E, A and α trade off freely along them)", fit.unconverged(), fit.resamples(),
                    PowerLawFit.MAX_EVALUATIONS));
        } else if (bootstrapIssue(fit).isEmpty()) {
            reasons.addAll(check(" (bootstrap)", new Bounds(fit.e().bootLow(), fit.e().bootHigh()),
                    new Bounds(fit.a().bootLow(), fit.a().bootHigh()), new Bounds(fit.alpha().bootLow(), fit.alpha().bootHigh()), maxLoss));
        }
        return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
    }

    /** Why the bootstrap interval is no finding (too few resamples, or all of them the same set), or empty. */
    public static Optional<String> bootstrapIssue(PowerLawFit.Result fit) {
        if (fit.resamples() < MIN_RESAMPLES) {
            return Optional.of(String.format(Locale.ROOT, "only %d resamples had %d distinct points", fit.resamples(), MIN_POINTS));
        }
        PowerLawFit.Estimate alpha = fit.alpha();
        if (!(alpha.bootHigh() - alpha.bootLow() > 1e-9 * Math.max(1, Math.abs(alpha.value())))) {
            return Optional.of(String.format(Locale.ROOT, "its resamples of %d points all repeat the same set, so its width "
                    + "is zero", fit.points()));
        }
        return Optional.empty();
    }

    private record Bounds(double low, double high) {
        boolean finite() {
            return Double.isFinite(low) && Double.isFinite(high);
        }

        String text() {
            return String.format(Locale.ROOT, "[%.3g, %.3g]", low, high);
        }
    }

    private static List<String> check(String source, Bounds e, Bounds a, Bounds alpha, double maxLoss) {
        if (!e.finite() || !a.finite() || !alpha.finite()) {
            return List.of("the 95% intervals" + source + " are not finite");
        }
        List<String> reasons = new ArrayList<>();
        if (alpha.low() <= 0) {
            reasons.add("α's 95% interval" + source + " " + alpha.text() + " includes no decrease (α <= 0)");
        } else if (alpha.high() / alpha.low() > MAX_RATIO) {
            reasons.add("α's 95% interval" + source + " " + alpha.text() + " spans more than two orders of magnitude");
        }
        if (a.high() / a.low() > MAX_RATIO) {
            reasons.add("A's 95% interval" + source + " " + a.text() + " spans more than two orders of magnitude");
        }
        if (e.high() - e.low() > maxLoss) {
            reasons.add(String.format(Locale.ROOT, "E's 95%% interval%s %s is wider than the losses themselves (at most %.3g)",
                    source, e.text(), maxLoss));
        }
        return reasons;
    }
}
