package ablate.trainer.data;

/**
 * A read-only sequence of token ids with random access, the form every split takes once prepared
 * or generated. Reads are safe from several threads at once.
 */
public interface TokenStream {

    /** Number of tokens. */
    long length();

    /**
     * Copies {@code dst.length} tokens starting at {@code start} into {@code dst}.
     *
     * @throws IndexOutOfBoundsException when the range does not lie within {@code [0, length())}
     */
    void read(long start, int[] dst);

    /** Checks a read range, shared by the implementations so they fail alike. */
    static void checkRange(long start, int count, long length) {
        if (start < 0 || count < 0 || start > length - count) {
            throw new IndexOutOfBoundsException(
                    "read of " + count + " tokens at " + start + " outside a stream of " + length + " tokens");
        }
    }
}
