package ablate.evaluator.scaling;

/**
 * The model sizes, training tokens and training FLOPs a scaling law was fitted on: outside them its
 * allocation is an extrapolation. Parameters are counted as the law counts them (Kaplan's without
 * embeddings, Hoffmann's with).
 */
public record FittedRange(Span parameters, Span tokens, Span flops) {

    /** A closed interval of positive, finite numbers. */
    public record Span(double min, double max) {
        public Span {
            if (!(min > 0) || !(max >= min) || Double.isInfinite(max)) {
                throw new IllegalArgumentException("needs [min, max] with 0 < min <= max, both finite, got [" + min + ", " + max + "]");
            }
        }

        /** How many times {@code value} lies outside the span: value / max above it, min / value below it, 1 inside. */
        public double timesOutside(double value) {
            if (value > max) {
                return value / max;
            }
            return value < min ? min / value : 1;
        }
    }
}
