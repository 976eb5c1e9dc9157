package ablate.evaluator.scaling;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.hipparchus.distribution.continuous.TDistribution;
import org.hipparchus.exception.LocalizedCoreFormats;
import org.hipparchus.exception.MathIllegalStateException;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresBuilder;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresOptimizer;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresProblem;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LevenbergMarquardtOptimizer;
import org.hipparchus.util.Pair;

/**
 * Fits L = e + a * X^(-alpha) to measured points by non-linear least squares (Hipparchus'
 * Levenberg-Marquardt), parametrized as (e, ln a, alpha) so that a stays positive and the problem
 * is well scaled across orders of magnitude of X. Confidence intervals come two ways: from the
 * covariance of the fit (Student t with n - 3 degrees of freedom, residual variance from the fit)
 * and from a seeded bootstrap over the points (percentile intervals), which does not assume
 * normal, equal-variance errors.
 *
 * <p>Every fit gets at most {@link #MAX_EVALUATIONS} evaluations of the model. Points that determine
 * the law converge in well under 100; points that do not leave a flat valley along which E, A and α
 * trade off, and Levenberg-Marquardt walks down it for tens of thousands of evaluations without
 * finding a minimum (a demo study's L(C) envelope took 12 s for one report). Such a fit fails, and a
 * resample that finds no minimum is counted in {@link Result#unconverged()} instead of refitted
 * further.
 */
public final class PowerLawFit {
    private static final double LEVEL = 0.95;
    /** Evaluations one fit may take before it counts as having found no minimum. */
    public static final int MAX_EVALUATIONS = 1_000;

    private PowerLawFit() {}

    /** A parameter's estimate with its standard error and 95% intervals (covariance, bootstrap). */
    public record Estimate(double value, double stderr, double low, double high, double bootLow, double bootHigh) {}

    /**
     * The fitted law, its parameters' estimates (a's interval is exp of ln a's), residual RMS, points,
     * and how many bootstrap resamples were refitted (a resample with fewer than 4 distinct X is
     * skipped, so a few points leave few resamples, all of them the same set), and how many of the
     * refitted ones found no minimum (their estimates are left out): none within {@link
     * #MAX_EVALUATIONS}, or the solver stopped on a singular step, where the resampled points (often
     * repeated X) leave a parameter free.
     */
    public record Result(PowerLaw law, Estimate e, Estimate a, Estimate alpha, double rms, int points, int resamples,
            int unconverged) {}

    /** Fits with {@code bootstrap} resamples drawn from {@code seed} (0 resamples: no bootstrap interval). */
    public static Result fit(double[] x, double[] y, int bootstrap, long seed) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x and y differ in length: " + x.length + " vs " + y.length);
        }
        if (x.length < 4) {
            throw new IllegalArgumentException("a power law with an irreducible term needs at least 4 points, got " + x.length);
        }
        for (double v : x) {
            if (!(v > 0)) {
                throw new IllegalArgumentException("X must be positive, got " + v);
            }
        }
        LeastSquaresOptimizer.Optimum best;
        try {
            best = solve(x, y);
        } catch (MathIllegalStateException e) {
            if (e.getSpecifier() != LocalizedCoreFormats.MAX_COUNT_EXCEEDED) {
                throw e;
            }
            throw new IllegalStateException(String.format(java.util.Locale.ROOT, "no minimum within %,d evaluations: E, A and α "
                    + "trade off along a flat valley of these points", MAX_EVALUATIONS));
        }
        double[] p = best.getPoint().toArray();
        int n = x.length;
        int dof = n - 3;
        double rss = best.getCost() * best.getCost();
        double[] se = new double[3];
        double t = Double.NaN;
        if (dof > 0) {
            RealMatrix cov = best.getCovariances(1e-14).scalarMultiply(rss / dof);
            for (int i = 0; i < 3; i++) {
                se[i] = Math.sqrt(Math.max(0, cov.getEntry(i, i)));
            }
            t = new TDistribution(dof).inverseCumulativeProbability(0.5 + LEVEL / 2);
        }
        Bootstrap boot = bootstrap(x, y, bootstrap, seed);
        Estimate e = estimate(p[0], se[0], t, boot.estimates()[0]);
        Estimate lnA = estimate(p[1], se[1], t, boot.estimates()[1]);
        Estimate a = new Estimate(Math.exp(p[1]), Math.exp(p[1]) * se[1], Math.exp(lnA.low()), Math.exp(lnA.high()),
                Math.exp(lnA.bootLow()), Math.exp(lnA.bootHigh()));
        Estimate alpha = estimate(p[2], se[2], t, boot.estimates()[2]);
        return new Result(new PowerLaw(p[0], Math.exp(p[1]), p[2]), e, a, alpha, Math.sqrt(rss / n), n,
                boot.estimates()[0].length + boot.unconverged(), boot.unconverged());
    }

    private static Estimate estimate(double v, double se, double t, double[] boot) {
        double bl = Double.NaN;
        double bh = Double.NaN;
        if (boot.length > 0) {
            double[] s = boot.clone();
            Arrays.sort(s);
            bl = s[(int) Math.floor((1 - LEVEL) / 2 * (s.length - 1))];
            bh = s[(int) Math.ceil((1 + LEVEL) / 2 * (s.length - 1))];
        }
        return new Estimate(v, se, v - t * se, v + t * se, bl, bh);
    }

    /** Per parameter the estimates of the resamples that converged, and how many did not. */
    private record Bootstrap(double[][] estimates, int unconverged) {}

    /** Refits on resampled points (those with at least 4 distinct X). */
    private static Bootstrap bootstrap(double[] x, double[] y, int resamples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] out = new double[3][resamples];
        int kept = 0;
        int unconverged = 0;
        int n = x.length;
        for (int r = 0; r < resamples; r++) {
            double[] bx = new double[n];
            double[] by = new double[n];
            for (int i = 0; i < n; i++) {
                int j = random.nextInt(n);
                bx[i] = x[j];
                by[i] = y[j];
            }
            if (Arrays.stream(bx).distinct().count() < 4) {
                continue;
            }
            try {
                double[] p = solve(bx, by).getPoint().toArray();
                for (int k = 0; k < 3; k++) {
                    out[k][kept] = p[k];
                }
                kept++;
            } catch (RuntimeException notConverged) {
                // no minimum within the evaluations, or a singular step: counted, and judged by FitSupport
                unconverged++;
            }
        }
        for (int k = 0; k < 3; k++) {
            out[k] = Arrays.copyOf(out[k], kept);
        }
        return new Bootstrap(out, unconverged);
    }

    private static LeastSquaresOptimizer.Optimum solve(double[] x, double[] y) {
        double[] start = start(x, y);
        LeastSquaresProblem problem = new LeastSquaresBuilder()
                .start(start)
                .model(point -> {
                    double e = point.getEntry(0);
                    double lnA = point.getEntry(1);
                    double alpha = point.getEntry(2);
                    double[] value = new double[x.length];
                    double[][] jacobian = new double[x.length][3];
                    for (int i = 0; i < x.length; i++) {
                        double lx = Math.log(x[i]);
                        double term = Math.exp(lnA - alpha * lx);
                        value[i] = e + term;
                        jacobian[i][0] = 1;
                        jacobian[i][1] = term;
                        jacobian[i][2] = -lx * term;
                    }
                    return new Pair<>(new ArrayRealVector(value, false), new Array2DRowRealMatrix(jacobian, false));
                })
                .target(y)
                .maxEvaluations(MAX_EVALUATIONS)
                .maxIterations(MAX_EVALUATIONS)
                .build();
        return new LevenbergMarquardtOptimizer().optimize(problem);
    }

    /** Start: e just below the smallest loss, then a line through ln(y - e) against ln x. */
    private static double[] start(double[] x, double[] y) {
        double min = Arrays.stream(y).min().orElseThrow();
        double max = Arrays.stream(y).max().orElseThrow();
        double e = min - 0.5 * (max - min) - 1e-9;
        int n = x.length;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            double lx = Math.log(x[i]);
            double ly = Math.log(y[i] - e);
            sx += lx;
            sy += ly;
            sxx += lx * lx;
            sxy += lx * ly;
        }
        double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        double intercept = (sy - slope * sx) / n;
        return new double[] {e, intercept, Math.max(1e-3, -slope)};
    }
}
