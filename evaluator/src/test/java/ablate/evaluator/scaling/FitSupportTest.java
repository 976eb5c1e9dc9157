package ablate.evaluator.scaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rules that keep a power law's fit from being reported where the data cannot determine it. */
class FitSupportTest {
    @Test
    void tooFewSizesTooNarrowASpanAndTooFewPointsOfOneRunAreNamed() {
        assertThat(FitSupport.lacking(new double[] {1e6, 1e6, 1e6, 1e6}, 4, "model size"))
                .hasValue("1 distinct model size; need >= 3");
        assertThat(FitSupport.lacking(new double[] {1e6, 2e6, 1e6, 2e6}, 4, "model size"))
                .hasValue("2 distinct model sizes; need >= 3");
        assertThat(FitSupport.lacking(new double[] {1e6, 2e6, 4e6}, 3, "model size")).get().asString()
                .startsWith("3 points for 3 parameters");
        assertThat(FitSupport.lacking(new double[] {1e6, 1.5e6, 2e6, 2.5e6}, 4, "model size")).get().asString()
                .startsWith("the model sizes span a factor of 2.5; need >= 4");
        assertThat(FitSupport.lacking(new double[] {5e4, 1e5, 1.5e5, 2e5}, 1, "token count")).get().asString()
                .startsWith("4 points from one run; need >= 6 from one run");
        assertThat(FitSupport.lacking(new double[] {5e4, 1e5, 1.5e5, 2e5}, 2, "compute value")).isEmpty();
        assertThat(FitSupport.lacking(new double[] {1e5, 2e5, 3e5, 4e5, 5e5, 6e5}, 1, "token count")).isEmpty();
    }

    @Test
    void anExactLawOverFourSizesIsRecoveredWithANarrowIntervalButNoBootstrap() {
        PowerLaw truth = new PowerLaw(1.7, 400, 0.34);
        double[] x = new double[4];
        double[] y = new double[4];
        for (int i = 0; i < 4; i++) {
            x[i] = 1e6 * Math.pow(4, i);
            y[i] = truth.value(x[i]);
        }
        PowerLawFit.Result fit = PowerLawFit.fit(x, y, 200, 1234);
        assertThat(fit.alpha().value()).isCloseTo(0.34, within(1e-4));
        assertThat(fit.e().value()).isCloseTo(1.7, within(1e-3));
        assertThat(fit.alpha().high() - fit.alpha().low()).as("covariance interval").isBetween(0.0, 1e-3);
        assertThat(FitSupport.undetermined(fit, 3.0)).isEmpty();
        // every resample of four points with four distinct X is the same set: a percentile interval of zero width
        assertThat(FitSupport.bootstrapIssue(fit)).isPresent();
        assertThat(ScalingText.describe("L(N)", fit)).contains("no bootstrap interval:").doesNotContain("bootstrap α");
    }

    @Test
    void noisyPointsOverANarrowRangeLeaveTheLawUndetermined() {
        Random random = new Random(3);
        PowerLaw truth = new PowerLaw(1.7, 400, 0.34);
        double[] x = new double[5];
        double[] y = new double[5];
        for (int i = 0; i < 5; i++) {
            x[i] = 1e6 * Math.pow(1.5, i);
            y[i] = truth.value(x[i]) * (1 + 0.02 * random.nextGaussian());
        }
        PowerLawFit.Result fit = PowerLawFit.fit(x, y, 200, 1234);
        System.out.println(ScalingText.describe("L(N)", fit));
        assertThat(FitSupport.undetermined(fit, 3.0)).get().asString().contains("95% interval");
    }

    /**
     * Losses that fall without bending over the range measured (a few steps of a small run: the
     * envelope of a demo study's validation points against compute): E, A and α trade off along a flat
     * valley, so most resamples find no minimum within the evaluation cap. Said as the reason,
     * instead of an interval taken over the resamples that happened to converge, and the cap keeps
     * the 200 refits from walking the valley for tens of thousands of evaluations each.
     */
    @Test
    void pointsAlongAFlatValleyAreUndeterminedByTheResamplesThatFindNoMinimum() {
        Random random = new Random(11);
        double[] x = new double[8];
        double[] y = new double[8];
        for (int i = 0; i < 8; i++) {
            x[i] = 2e11 * Math.pow(3, i);
            y[i] = (6.0 - 0.45 * Math.log(x[i] / 2e11)) * (1 + 0.01 * random.nextGaussian());
        }
        PowerLawFit.Result fit = PowerLawFit.fit(x, y, 200, 1234);
        System.out.println(ScalingText.describe("L(C)", fit) + " unconverged " + fit.unconverged() + " of " + fit.resamples());
        assertThat(fit.unconverged()).isGreaterThan(10);
        assertThat(FitSupport.undetermined(fit, 6.0)).get().asString()
                .contains(fit.unconverged() + " of " + fit.resamples() + " bootstrap resamples found no minimum (none within 1,000 evaluations");
    }
}
