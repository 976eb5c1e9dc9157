package ablate.evaluator.report;

import ablate.evaluator.scaling.FitSupport;
import ablate.evaluator.scaling.PowerLawFit;
import ablate.evaluator.scaling.ScalingText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The report's power laws with an irreducible term: L(N) over the runs' final validation losses
 * against non-embedding parameters; L(D) along the validation curve of the largest run; L(C) over
 * the lower envelope of every run's validation points against Kaplan's C = 6 N D. Each is fitted
 * only where {@link FitSupport} finds the data can determine it, and shown as a finding only where
 * its intervals are informative; otherwise the section says it is not determined, and why.
 *
 * @param lines one per law (or one saying there is nothing to fit), each with its chart where fitted
 */
record ScalingSection(List<Line> lines) {
    static final String RULES = String.format(Locale.ROOT, "A law is fitted only where the data can determine it: at least %d "
            + "distinct X spanning a factor of %.0f or more, %d points (%d when all come from one run), a minimum found within "
            + "%,d evaluations by the fit and by all but %.0f%% of its bootstrap resamples, and 95%% intervals on A and α within "
            + "two orders of magnitude; a bootstrap interval is shown only when its resamples differ.",
            FitSupport.MIN_DISTINCT, FitSupport.MIN_SPAN, FitSupport.MIN_POINTS, FitSupport.MIN_POINTS_ONE_RUN,
            PowerLawFit.MAX_EVALUATIONS, 100 * FitSupport.MAX_UNCONVERGED);
    private static final int RESAMPLES = 200;
    private static final long SEED = 1234;

    /** A law's sentence, and its chart (inline SVG) where it was fitted, else empty. */
    record Line(String text, String svg) {
        boolean fitted() {
            return !svg.isEmpty();
        }
    }

    private record Law(String id, String name, String title, String axis, String what) {}

    ScalingSection {
        lines = List.copyOf(lines);
    }

    static ScalingSection of(List<Variant> variants) {
        List<Variant> runs = variants.stream().filter(v -> v.nonEmbedding() > 0 && !v.validation().isEmpty()).toList();
        if (runs.isEmpty()) {
            return new ScalingSection(List.of(new Line("No runs with validation losses.", "")));
        }
        List<Line> lines = new ArrayList<>();
        List<double[]> byN = runs.stream().map(v -> new double[] {v.nonEmbedding(), v.finalValidationLoss()}).toList();
        lines.add(fit(new Law("scaling-n", "L(N)", "Final validation loss against non-embedding parameters", "parameters", "model size"),
                byN, runs.size()));
        Variant largest = runs.stream().max(Comparator.comparingLong(Variant::nonEmbedding)).orElseThrow();
        lines.add(fit(new Law("scaling-d", "L(D) of " + largest.name(), "Validation loss against tokens (" + largest.name() + ")",
                "tokens", "token count"), largest.validation().stream().filter(p -> p[0] > 0).toList(), 1));
        // (C, loss, run index), then the lower envelope: each point lower than every one with less compute
        List<double[]> byC = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            Variant v = runs.get(r);
            for (double[] p : v.validation()) {
                byC.add(new double[] {6.0 * v.nonEmbedding() * p[0], p[1], r});
            }
        }
        byC.sort(Comparator.comparingDouble(p -> p[0]));
        List<double[]> envelope = new ArrayList<>();
        for (double[] p : byC) {
            if (p[0] > 0 && (envelope.isEmpty() || p[1] < envelope.getLast()[1])) {
                envelope.add(p);
            }
        }
        int envelopeRuns = (int) envelope.stream().mapToDouble(p -> p[2]).distinct().count();
        lines.add(fit(new Law("scaling-c", "L(C)", "Validation loss against compute (lower envelope, C = 6ND)", "FLOPs", "compute value"),
                envelope.stream().map(p -> new double[] {p[0], p[1]}).toList(), envelopeRuns));
        return new ScalingSection(lines);
    }

    private static Line fit(Law law, List<double[]> points, int runs) {
        double[] xs = points.stream().mapToDouble(p -> p[0]).toArray();
        double[] ys = points.stream().mapToDouble(p -> p[1]).toArray();
        Optional<String> lacking = FitSupport.lacking(xs, runs, law.what());
        if (lacking.isPresent()) {
            return new Line(ScalingText.notDetermined(law.name(), lacking.get()), "");
        }
        PowerLawFit.Result fit;
        try {
            fit = PowerLawFit.fit(xs, ys, RESAMPLES, SEED);
        } catch (RuntimeException e) {
            return new Line(ScalingText.notDetermined(law.name(), "the fit failed: " + e.getMessage()), "");
        }
        Optional<String> undetermined = FitSupport.undetermined(fit, Arrays.stream(ys).max().orElseThrow());
        if (undetermined.isPresent()) {
            return new Line(ScalingText.notDetermined(law.name(), undetermined.get()), "");
        }
        double lo = Arrays.stream(xs).min().orElseThrow();
        double hi = Arrays.stream(xs).max().orElseThrow();
        List<double[]> curve = new ArrayList<>();
        for (int i = 0; i <= 50; i++) {
            double v = lo * Math.pow(hi / lo, i / 50.0);
            curve.add(new double[] {v, fit.law().value(v)});
        }
        return new Line(ScalingText.describe(law.name(), fit), Charts.lines(law.id(), law.title(), law.axis(), "loss",
                List.of(new Charts.Series(law.name() + " data", points, false, true),
                        new Charts.Series(law.name() + " fit", curve, true, false)), true));
    }
}
