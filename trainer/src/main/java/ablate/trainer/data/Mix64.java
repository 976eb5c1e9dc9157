package ablate.trainer.data;

/**
 * The SplitMix64 finalizer (Steele, Lea and Flood 2014), used wherever the data pipeline needs a
 * cheap, well-mixed, seeded hash: the train/validation split, the built-in corpus seeds and the
 * sampler's permutation keys. One definition keeps all of them stable across refactors.
 */
public final class Mix64 {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private Mix64() {}

    /** A bijective mix of {@code z}. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A hash of the ordered pair {@code (a, b)}. */
    static long hash(long a, long b) {
        return mix(mix(a + GOLDEN_GAMMA) ^ (b * GOLDEN_GAMMA + 0x632BE59BD9B4E019L));
    }

    /** A uniform double in [0, 1) from the top 53 bits of {@code h}. */
    static double unit(long h) {
        return (h >>> 11) * 0x1.0p-53;
    }
}
