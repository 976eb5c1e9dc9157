package ablate.conf;

/**
 * How the gradients of a step's micro-batches are summed ({@code train.gradient-reduction}).
 */
public enum GradientReduction {
    /**
     * Each micro-batch's gradient is rounded once onto a fixed-point grid (int64, a power-of-two
     * step per weight tensor) and the integers are summed: integer addition is associative, so the
     * sum, and every loss after it, is bitwise the same however the micro-batches are spread over
     * data-parallel ranks and in whatever order they arrive.
     */
    EXACT,
    /** float32 sums: libtorch-style accumulation and a float ring all-reduce; results depend on the number of ranks. */
    FAST
}
