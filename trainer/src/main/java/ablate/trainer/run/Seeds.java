package ablate.trainer.run;

import ablate.trainer.data.Mix64;

/** Counter-based seeds: a random draw is a pure function of the run seed and where it happens. */
final class Seeds {
    private Seeds() {}

    /** A hash of the four values, chaining the SplitMix64 finalizer. */
    static long mix(long seed, long a, long b, long c) {
        long z = seed;
        for (long v : new long[] {a, b, c}) {
            z = Mix64.mix(z + 0x9E3779B97F4A7C15L + Mix64.mix(v));
        }
        return z & Long.MAX_VALUE;
    }
}
