package ablate.trainer.data;

/**
 * A fixed evaluation set: the first {@code count} consecutive windows of the validation stream,
 * cut like {@link Sampler}'s (length {@code seqLen + 1}, starting at multiples of {@code seqLen}).
 *
 * <p>Fixed rather than sampled, so validation losses of different runs and steps are measured on
 * the same tokens and can be compared directly.
 */
public final class ValidationWindows {

    private final TokenStream val;
    private final int seqLen;
    private final int size;

    /**
     * @param count windows wanted; fewer are used when the stream is shorter
     * @throws IllegalArgumentException when the stream cannot hold a single window
     */
    public ValidationWindows(TokenStream val, int seqLen, int count) {
        if (seqLen < 1 || count < 1) {
            throw new IllegalArgumentException("seqLen and count must be positive: " + seqLen + ", " + count);
        }
        long available = val.length() <= seqLen ? 0 : (val.length() - 1) / seqLen;
        if (available == 0) {
            throw new IllegalArgumentException("validation stream has " + val.length()
                    + " tokens, fewer than one window of seqLen + 1 = " + (seqLen + 1L)
                    + "; prepare more validation data or use a shorter seqLen");
        }
        this.val = val;
        this.seqLen = seqLen;
        this.size = (int) Math.min(count, available);
    }

    /** Number of windows, at least 1. */
    public int size() {
        return size;
    }

    /** Fills {@code dst} (length {@code seqLen + 1}) with window {@code j}. */
    public void window(int j, int[] dst) {
        if (j < 0 || j >= size) {
            throw new IndexOutOfBoundsException("window " + j + " outside [0, " + size + ")");
        }
        if (dst.length != seqLen + 1) {
            throw new IllegalArgumentException("dst must hold seqLen + 1 = " + (seqLen + 1) + " tokens, not " + dst.length);
        }
        val.read((long) j * seqLen, dst);
    }
}
