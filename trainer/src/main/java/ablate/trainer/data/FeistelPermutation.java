package ablate.trainer.data;

/**
 * A keyed pseudo-random bijection of {@code [0, size)} in O(1) memory: a balanced Feistel network
 * over the smallest even-bit power of two that covers {@code size}, with cycle-walking to stay in
 * range (Black and Rogaway 2002). Shuffling an epoch of a billion windows thus needs no array.
 *
 * <p>The domain is at most four times {@code size}, so cycle-walking takes fewer than four rounds
 * on average.
 */
final class FeistelPermutation {

    private static final int ROUNDS = 6;
    private static final long MAX_SIZE = 1L << 62;

    private final long size;
    private final int halfBits;
    private final long halfMask;
    private final long[] keys = new long[ROUNDS];

    FeistelPermutation(long size, long key) {
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("permutation size must be in [1, 2^62]: " + size);
        }
        this.size = size;
        int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, size - 1));
        this.halfBits = Math.max(1, (bits + 1) / 2);
        this.halfMask = (1L << halfBits) - 1;
        for (int r = 0; r < ROUNDS; r++) {
            keys[r] = Mix64.hash(key, r);
        }
    }

    /** The image of {@code x}, a distinct value in {@code [0, size)} for each {@code x} there. */
    long apply(long x) {
        if (x < 0 || x >= size) {
            throw new IndexOutOfBoundsException("permutation input " + x + " outside [0, " + size + ")");
        }
        long y = x;
        do {
            y = encrypt(y);
        } while (y >= size);
        return y;
    }

    private long encrypt(long x) {
        long left = x >>> halfBits;
        long right = x & halfMask;
        for (long key : keys) {
            long next = left ^ (Mix64.mix(right ^ key) & halfMask);
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }
}
