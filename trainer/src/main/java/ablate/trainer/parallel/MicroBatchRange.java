package ablate.trainer.parallel;

/**
 * The global micro-batches [start, end) of a step that rank r of R computes: contiguous shares, in
 * rank order, whose sizes differ by at most one, so any number of ranks up to the micro-batch count
 * can share a step (each micro-batch is computed once, by exactly one rank).
 */
public record MicroBatchRange(int start, int end) {
    public MicroBatchRange {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad micro-batch range [" + start + ", " + end + ")");
        }
    }

    /** Rank {@code rank}'s share of {@code total} micro-batches among {@code ranks}. */
    public static MicroBatchRange of(int rank, int ranks, int total) {
        if (ranks < 1 || rank < 0 || rank >= ranks) {
            throw new IllegalArgumentException("rank " + rank + " of " + ranks);
        }
        return new MicroBatchRange((int) ((long) rank * total / ranks), (int) ((long) (rank + 1) * total / ranks));
    }

    public int size() {
        return end - start;
    }
}
