package ablate.cluster.trainer;

import ablate.trainer.parallel.AllReduce;
import ablate.trainer.parallel.AllReduceException;
import ablate.trainer.parallel.FixedPointGrid;
import ai.djl.ndarray.NDArray;
import java.time.Duration;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The commit of a step across a group (two-phase): a rank that holds the step's summed gradient
 * tells its supervisor ({@code announce}) and applies the update only once the supervisor has seen
 * every rank get there and committed the step. The supervisor commits to all ranks at once and
 * never after it started halting the group, and Pekko keeps a commit ahead of a later halt to the
 * same trainer, so the survivors of a failure all stand at the same step: every one applied the
 * step, or none did. Without this, a rank killed at the end of the ring all-gather leaves the
 * ranks that received everything one step ahead of those that did not.
 */
final class StepGate {
    private final LongConsumer announce;
    private final Duration timeout;
    private long committed = Long.MIN_VALUE;

    StepGate(LongConsumer announce, Duration timeout) {
        this.announce = announce;
        this.timeout = timeout;
    }

    /** The supervisor committed every step up to {@code step} (called by the trainer's actor). */
    synchronized void commit(long step) {
        committed = Math.max(committed, step);
        notifyAll();
    }

    /** On the DJL thread: announces {@code step} and waits for its commit; a halt interrupts the wait. */
    void await(long step) {
        announce.accept(step);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (committed < step) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AllReduceException("step " + step + " was not committed by the supervisor within " + timeout
                            + " (the group broke, or the coordinator is gone); not applied");
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AllReduceException("halted before step " + step + " was committed; not applied", e);
                }
            }
        }
    }

    /** {@code inner} with its updates gated by this. */
    AllReduce gating(AllReduce inner) {
        StepGate gate = this;
        return new AllReduce() {
            @Override
            public int rank() {
                return inner.rank();
            }

            @Override
            public int ranks() {
                return inner.ranks();
            }

            @Override
            public void sum(List<NDArray> arrays) {
                inner.sum(arrays);
            }

            @Override
            public void mean(List<NDArray> arrays) {
                inner.mean(arrays);
            }

            @Override
            public List<byte[]> allGather(byte[] mine) {
                return inner.allGather(mine);
            }

            @Override
            public void sumFixedPoint(NDArray fixedPoint, FixedPointGrid grid, long[] offsets, NDArray out) {
                inner.sumFixedPoint(fixedPoint, grid, offsets, out);
            }

            @Override
            public void beforeUpdate(long step) {
                gate.await(step);
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }
}
