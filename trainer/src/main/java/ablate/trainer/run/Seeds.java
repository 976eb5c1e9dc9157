package ablate.trainer.run;

/** Counter-based seeds: a random draw is a pure function of the run seed and where it happens. */
final class Seeds {
    private Seeds() {}

    /** SplitMix64-style hash of the four values. */
    static long mix(long seed, long a, long b, long c) {
        long z = seed;
        for (long v : new long[] {a, b, c}) {
            z = finalize(z + 0x9E3779B97F4A7C15L + finalize(v));
        }
        return z & Long.MAX_VALUE;
    }

    private static long finalize(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
