package ablate.cluster.collective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ablate.cluster.collective.RingCollective.Settings;
import ablate.trainer.parallel.AllReduceException;
import java.net.InetSocketAddress;
import java.nio.LongBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Joins and calls that cannot complete fail within their deadline, naming the peer; a broken ring stays broken. */
class RingFailureTest {
    private static final Duration SHORT = Duration.ofSeconds(1);
    /** Slack for a busy 2-core machine on top of a deadline. */
    private static final long MARGIN_MS = 2500;

    private static Endpoint listen() throws Exception {
        return RingCollective.listen(new InetSocketAddress("127.0.0.1", 0));
    }

    @Test
    void aStrayFromAnotherGroupIsRefusedAndTheRightPeerStillJoins() throws Exception {
        Endpoint e0 = listen();
        Endpoint e1 = listen();
        Endpoint stray = listen();
        List<InetSocketAddress> group = List.of(e0.address(), e1.address());
        Future<RingCollective> rank0 = Rings.threads.submit(() -> RingCollective.join(e0, group, Settings.of("a", 0, 2, Rings.TIMEOUT)));

        long start = System.nanoTime();
        assertThatThrownBy(() -> RingCollective.join(stray, List.of(e0.address(), stray.address()), Settings.of("b", 1, 2, Rings.TIMEOUT)))
                .isInstanceOf(AllReduceException.class)
                .hasMessageContaining("rank 0 at " + e0.address() + " refused the connection: group 'b' but this is group 'a'");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused at once, not at the timeout").isLessThan(Duration.ofSeconds(5));

        try (RingCollective r1 = RingCollective.join(e1, group, Settings.of("a", 1, 2, Rings.TIMEOUT));
                RingCollective r0 = rank0.get(30, TimeUnit.SECONDS)) {
            List<LongBuffer> sums = Rings.onEveryRank(List.of(r0, r1), c -> {
                LongBuffer data = LongBuffer.wrap(new long[] {c.rank() + 1L});
                c.sum(data);
                return data;
            });
            assertThat(sums.get(0).get(0)).isEqualTo(3);
            assertThat(sums.get(1).get(0)).isEqualTo(3);
        }
    }

    @Test
    void aMissingPeerFailsTheJoinWithinItsDeadlineNamingIt() throws Exception {
        Endpoint e0 = listen();
        Endpoint e1 = listen();
        Endpoint gone = listen();
        List<InetSocketAddress> group = List.of(e0.address(), e1.address(), gone.address());
        gone.close(); // rank 2 never comes: its address refuses connections
        long start = System.nanoTime();
        Future<RingCollective> rank1 = Rings.threads.submit(() -> RingCollective.join(e1, group, Settings.of("g", 1, 3, SHORT)));
        AllReduceException at0 = catchThrowableOfType(AllReduceException.class, () -> RingCollective.join(e0, group, Settings.of("g", 0, 3, SHORT)));
        AllReduceException at1 = catchThrowableOfType(AllReduceException.class, () -> {
            try {
                rank1.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw e.getCause();
            }
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SHORT.plusMillis(MARGIN_MS));
        assertThat(at0).hasMessageContaining("rank 0 of 3 (group g): could not join the ring within PT1S")
                .hasMessageContaining("no connection from rank 2 at " + gone.address());
        assertThat(at1).hasMessageContaining("rank 1 of 3 (group g): could not join the ring within PT1S")
                .hasMessageContaining("no link to rank 2 at " + gone.address());
    }

    @Test
    void callsThatDisagreeFailOnBothRanksAndTheRingStaysBroken() {
        List<RingCollective> ring = Rings.ring(2, "disagree", Rings.TIMEOUT);
        List<AllReduceException> failures = Rings.onEveryRank(ring,
                c -> catchThrowableOfType(AllReduceException.class, () -> c.sum(LongBuffer.allocate(10 + c.rank()))));
        assertThat(failures.get(0)).hasMessageContaining("rank 1 at").hasMessageContaining("called sum(int64 x 11)")
                .hasMessageContaining("this rank sum(int64 x 10)");
        assertThat(failures.get(1)).hasMessageContaining("called sum(int64 x 10)");
        assertThatThrownBy(() -> ring.get(0).sum(LongBuffer.allocate(10)))
                .isInstanceOf(AllReduceException.class)
                .hasMessageContaining("broke earlier")
                .hasCause(failures.get(0));
        ring.forEach(RingCollective::close);
    }

    @Test
    void aRankThatFinishesAndClosesDoesNotFailANeighbourThatNeedsNothingMoreFromIt() {
        // Rank 1 sends to rank 2 and waits for the late rank 0; rank 2 has all it needs, returns and closes.
        List<RingCollective> ring = Rings.ring(3, "finished", Rings.TIMEOUT);
        List<Long> sums = Rings.onEveryRank(ring, c -> {
            if (c.rank() == 0) {
                sleep(300);
            }
            LongBuffer empty = LongBuffer.allocate(0);
            c.sum(empty);
            if (c.rank() == 2) {
                c.close();
            }
            return (long) empty.capacity();
        });
        assertThat(sums).containsExactly(0L, 0L, 0L);
        ring.forEach(RingCollective::close);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aPeerThatNeverCallsFailsTheCallAfterTheTimeoutNamingIt() {
        // Rank 1 waits longer, so that rank 0's deadline, not rank 1 giving up first, ends the call.
        List<RingCollective> ring = Rings.ring(3, "idle", r -> r == 1 ? Rings.TIMEOUT : SHORT);
        long start = System.nanoTime();
        List<AllReduceException> failures = Rings.onEveryRank(ring, c -> c.rank() == 2
                ? new AllReduceException("rank 2 does not call")
                : catchThrowableOfType(AllReduceException.class, () -> c.sum(LongBuffer.allocate(1000))));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SHORT.plusMillis(MARGIN_MS));
        assertThat(failures.get(0)).hasMessageContaining("rank 0 of 3 (group idle): no progress for PT1S in sum(int64 x 1000)")
                .hasMessageContaining("to receive from rank 2 at " + "/127.0.0.1:");
        assertThat(failures.get(1)).hasMessageContaining("rank 0 at /127.0.0.1:").hasMessageContaining("closed the connection");
        ring.forEach(RingCollective::close);
    }

    @Test
    void anInterruptAbortsTheCall() throws Exception {
        List<RingCollective> ring = Rings.ring(2, "interrupt", Rings.TIMEOUT);
        AtomicReference<Thread> caller = new AtomicReference<>();
        Future<AllReduceException> call = Rings.threads.submit(() -> {
            caller.set(Thread.currentThread());
            return catchThrowableOfType(AllReduceException.class, () -> ring.get(0).sum(LongBuffer.allocate(1000)));
        });
        Thread.sleep(200); // rank 1 never calls: rank 0 waits for its header
        long start = System.nanoTime();
        caller.get().interrupt();
        AllReduceException failure = call.get(5, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(failure).hasMessageContaining("rank 0 of 2 (group interrupt): interrupted in sum(int64 x 1000)");
        assertThatThrownBy(() -> ring.get(0).sum(LongBuffer.allocate(1000)))
                .isInstanceOf(AllReduceException.class)
                .hasMessageContaining("broke earlier")
                .hasCause(failure);
        ring.forEach(RingCollective::close);
    }

    @Test
    void closeFromAnotherThreadAbortsARunningCall() throws Exception {
        List<RingCollective> ring = Rings.ring(2, "close", Rings.TIMEOUT);
        Future<AllReduceException> call = Rings.threads.submit(() -> catchThrowableOfType(AllReduceException.class,
                () -> ring.get(0).sum(LongBuffer.allocate(1000))));
        Thread.sleep(200);
        ring.get(0).close();
        assertThat(call.get(2, TimeUnit.SECONDS)).hasMessageContaining("rank 0 of 2 (group close): sum(int64 x 1000)")
                .hasMessageContaining("aborted: rank 0 of 2 (group close): the collective was closed");
        ring.get(1).close();
    }
}
