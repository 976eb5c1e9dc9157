package ablate.trainer.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * N ranks in one JVM that all-reduce through shared memory: each rank publishes a copy of its
 * arrays (float32 or int64) or record, waits for the others, then adds all copies in rank order, so
 * every rank gets the same bits. For CPU tests of data-parallel code and as the reference the NCCL path is checked against.
 * The ranks are driven by the caller's threads, one per rank.
 */
public final class LocalAllReduce implements AllReduce {
    /** The shared state of one group of ranks. */
    public static final class Group {
        private final int ranks;
        private final Duration timeout;
        private final CyclicBarrier barrier;
        private final List<List<Object>> published = new ArrayList<>();

        /** @param timeout how long a rank waits for the others before the call fails */
        public Group(int ranks, Duration timeout) {
            if (ranks < 1) {
                throw new IllegalArgumentException("ranks must be >= 1, got " + ranks);
            }
            this.ranks = ranks;
            this.timeout = timeout;
            this.barrier = new CyclicBarrier(ranks);
            for (int r = 0; r < ranks; r++) {
                published.add(List.of());
            }
        }

        /** Rank {@code rank}'s end of the group. */
        public AllReduce rank(int rank) {
            if (rank < 0 || rank >= ranks) {
                throw new IllegalArgumentException("rank " + rank + " outside [0, " + ranks + ")");
            }
            return new LocalAllReduce(this, rank);
        }

        private void await(int rank) {
            try {
                barrier.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | BrokenBarrierException e) {
                barrier.reset();
                throw new AllReduceException("rank " + rank + " of " + ranks + ": a peer did not reach the all-reduce within "
                        + timeout + " or failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AllReduceException("rank " + rank + " interrupted in the all-reduce", e);
            }
        }
    }

    private final Group group;
    private final int rank;

    private LocalAllReduce(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int ranks() {
        return group.ranks;
    }

    @Override
    public void sum(List<NDArray> arrays) {
        reduce(arrays, false);
    }

    @Override
    public void mean(List<NDArray> arrays) {
        reduce(arrays, true);
    }

    @Override
    public List<byte[]> allGather(byte[] mine) {
        List<List<Object>> all = exchange(List.of(mine.clone()));
        List<byte[]> out = new ArrayList<>(all.size());
        for (List<Object> peer : all) {
            out.add(((byte[]) peer.getFirst()).clone());
        }
        return out;
    }

    private void reduce(List<NDArray> arrays, boolean mean) {
        List<Object> mine = new ArrayList<>(arrays.size());
        for (NDArray a : arrays) {
            if (a.getDataType() == DataType.FLOAT32) {
                mine.add(a.toFloatArray());
            } else if (a.getDataType() == DataType.INT64 && !mean) {
                mine.add(a.toLongArray());
            } else {
                throw new IllegalArgumentException("all-reduce takes float32 (sum, mean) or int64 (sum) arrays, got "
                        + a.getDataType());
            }
        }
        List<List<Object>> all = exchange(mine);
        for (int i = 0; i < arrays.size(); i++) {
            if (mine.get(i) instanceof long[] own) {
                long[] total = new long[own.length];
                for (List<Object> peer : all) {
                    long[] values = checkLength((long[]) peer.get(i), own.length, i).clone();
                    for (int k = 0; k < total.length; k++) {
                        total[k] += values[k];
                    }
                }
                AllReduce.overwrite(arrays.get(i), java.nio.LongBuffer.wrap(total));
                continue;
            }
            float[] total = new float[((float[]) mine.get(i)).length];
            for (List<Object> peer : all) {
                float[] values = (float[]) peer.get(i);
                if (values.length != total.length) {
                    throw lengthMismatch(i, total.length, values.length);
                }
                for (int k = 0; k < total.length; k++) {
                    total[k] += values[k];
                }
            }
            if (mean) {
                for (int k = 0; k < total.length; k++) {
                    total[k] /= group.ranks;
                }
            }
            AllReduce.overwrite(arrays.get(i), java.nio.FloatBuffer.wrap(total));
        }
    }

    /** Publishes this rank's objects, waits for everyone, reads all, and waits until everyone has read. */
    private List<List<Object>> exchange(List<Object> mine) {
        synchronized (group.published) {
            group.published.set(rank, mine);
        }
        group.await(rank); // everyone has published
        List<List<Object>> all;
        synchronized (group.published) {
            all = List.copyOf(group.published);
        }
        group.await(rank); // everyone has read before the next call overwrites
        return all;
    }

    private long[] checkLength(long[] values, int expected, int array) {
        if (values.length != expected) {
            throw lengthMismatch(array, expected, values.length);
        }
        return values;
    }

    private AllReduceException lengthMismatch(int array, int here, int there) {
        return new AllReduceException("rank " + rank + ": array " + array + " has " + here + " elements here and " + there
                + " on a peer");
    }

    @Override
    public void close() {}
}
