package ablate.evaluator.scaling;

import java.util.Locale;

/**
 * One line about a power law: the fitted law with its 95% intervals, or that the data do not
 * determine it and why (then with no estimates, which would read as findings).
 */
public final class ScalingText {
    private ScalingText() {}

    /** A fit {@link FitSupport} found determined; the bootstrap interval only where it is informative. */
    public static String describe(String name, PowerLawFit.Result fit) {
        PowerLawFit.Estimate e = fit.e();
        PowerLawFit.Estimate a = fit.a();
        PowerLawFit.Estimate alpha = fit.alpha();
        String bootstrap = FitSupport.bootstrapIssue(fit)
                .map(why -> "no bootstrap interval: " + why)
                .orElse(String.format(Locale.ROOT, "bootstrap α [%.4f, %.4f]", alpha.bootLow(), alpha.bootHigh()));
        return String.format(Locale.ROOT,
                "%s = E + A·X^-α over %d points: E = %.4g [%.4g, %.4g], A = %.4g [%.4g, %.4g], α = %.4f [%.4f, %.4f] "
                        + "(95%% from the fit's covariance; %s); residual RMS %.3g",
                name, fit.points(), e.value(), e.low(), e.high(), a.value(), a.low(), a.high(), alpha.value(), alpha.low(),
                alpha.high(), bootstrap, fit.rms());
    }

    /** E.g. "L(N): not determined by these data (1 distinct model size; need >= 3)." */
    public static String notDetermined(String name, String why) {
        return name + ": not determined by these data (" + why + ").";
    }
}
