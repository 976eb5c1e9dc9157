package ablate.evaluator.planner;

import ablate.evaluator.scaling.Allocation;
import ablate.evaluator.scaling.FittedRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One quantity of a plan far outside the range a scaling law was fitted on (planner.conf
 * scaling-laws.*.fitted-on): the law's allocation there is an extrapolation, and the model
 * recommended from it is less certain than inside the range.
 *
 * @param law who fitted it, as the plan names it ("Hoffmann et al. 2022")
 * @param value the plan's budget in FLOPs, or the law's N or D for it
 * @param range what the law was fitted on, in the same unit
 */
public record Extrapolation(String law, Quantity quantity, double value, FittedRange.Span range) {

    /** What lies outside, as the plan prints it. */
    public enum Quantity {
        BUDGET("budget", " FLOPs"), PARAMETERS("N", " parameters"), NON_EMBEDDING("N", " non-embedding parameters"),
        TOKENS("D", " tokens");

        private final String name;
        private final String unit;

        Quantity(String name, String unit) {
            this.name = name;
            this.unit = unit;
        }
    }

    /**
     * The quantities of {@code allocation} (and the budget it spends) more than {@code farFactor}
     * times outside {@code range}, budget first.
     */
    static List<Extrapolation> of(String law, FittedRange range, Quantity parameters, double flops, Allocation allocation,
                                  double farFactor) {
        List<Extrapolation> far = new ArrayList<>();
        add(far, new Extrapolation(law, Quantity.BUDGET, flops, range.flops()), farFactor);
        add(far, new Extrapolation(law, parameters, allocation.parameters(), range.parameters()), farFactor);
        add(far, new Extrapolation(law, Quantity.TOKENS, allocation.tokens(), range.tokens()), farFactor);
        return far;
    }

    private static void add(List<Extrapolation> far, Extrapolation e, double farFactor) {
        if (e.factor() > farFactor) {
            far.add(e);
        }
    }

    /** True above the fitted range, false below it. */
    public boolean above() {
        return value > range.max();
    }

    /** How many times outside the fitted range: value / max above it, min / value below it. */
    public double factor() {
        return range.timesOutside(value);
    }

    /** "Hoffmann et al. 2022: D = 2.46T is 4.9x above the 5.0B to 500.0B tokens it was fitted on". */
    public String describe() {
        double f = factor();
        return String.format(Locale.ROOT, "%s: %s = %s is %s %s the %s to %s%s it was fitted on", law, quantity.name,
                number(value), String.format(Locale.ROOT, f < 10 ? "%.1fx" : "%.0fx", f), above() ? "above" : "below",
                number(range.min()), number(range.max()), quantity.unit);
    }

    private String number(double v) {
        return quantity == Quantity.BUDGET ? String.format(Locale.ROOT, "%.2g", v) : PlanText.big(v);
    }
}
