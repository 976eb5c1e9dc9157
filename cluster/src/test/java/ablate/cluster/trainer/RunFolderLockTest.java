package ablate.cluster.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import ablate.trainer.run.RunLock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rank 0 of a cluster group is its run folder's one writer: it waits for a former cluster writer
 * whose process is still ending, takes over from a frozen one with the fencing token after
 * run-lock-timeout (and its lock once it dies), fences a writer that was taken over, and refuses a
 * writer outside the cluster at once. The other holder is a real second JVM, stopped and killed with
 * real signals.
 */
class RunFolderLockTest {
    @TempDir
    Path run;

    private Process holder;

    @AfterEach
    void killHolder() throws Exception {
        if (holder != null) {
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void holdInAnotherJvm(String who) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        holder = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                run.toString(), who).redirectErrorStream(true).start();
        var out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertThat(CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(30, TimeUnit.SECONDS)).isEqualTo("locked");
    }

    private void signal(String name) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, String.valueOf(holder.pid())).inheritIO().start().waitFor()).isZero();
    }

    private static CompletableFuture<WriterClaim> claimAsync(Path run, String group, Duration wait) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return WriterClaim.take(run, group, wait);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void aFormerClusterWriterIsWaitedForAndItsLockTakenOnceItsProcessEnds() throws Exception {
        holdInAnotherJvm(WriterClaim.WRITER + ", rank 0 of group r#1");
        long start = System.nanoTime();
        CompletableFuture<WriterClaim> taking = claimAsync(run, "r#2", Duration.ofSeconds(60));
        Thread.sleep(1000);
        assertThat(taking).as("waits while the former writer lives").isNotDone();
        signal("KILL");
        try (WriterClaim claim = taking.get(30, TimeUnit.SECONDS)) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
            assertThat(claim.locked()).isTrue();
            assertThat(RunLock.holder(run)).startsWith("ablate node, rank 0 of group r#2 (pid " + ProcessHandle.current().pid());
            assertThat(Files.readString(run.resolve(WriterClaim.TOKEN))).startsWith("rank 0 of group r#2 (pid ");
            claim.check();
        }
        assertThat(RunLock.holder(run)).as("released").isEmpty();
    }

    @Test
    void aFrozenFormerWriterIsTakenOverByTheTokenAndItsLockTakenWhenItDies() throws Exception {
        holdInAnotherJvm(WriterClaim.WRITER + ", rank 0 of group r#1");
        signal("STOP");
        long start = System.nanoTime();
        try (WriterClaim claim = WriterClaim.take(run, "r#2", Duration.ofSeconds(1))) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(5));
            assertThat(claim.locked()).as("the frozen process still holds the OS lock").isFalse();
            claim.check(); // this group writes
            assertThat(RunLock.holder(run)).contains("rank 0 of group r#1 (pid " + holder.pid());
            signal("KILL");
            holder.waitFor(10, TimeUnit.SECONDS);
            claim.check();
            assertThat(claim.locked()).as("taken at the first write after the former writer died").isTrue();
            assertThat(RunLock.holder(run)).startsWith("ablate node, rank 0 of group r#2");
        }
    }

    @Test
    void aWriterThatWasTakenOverStopsBeforeItsNextWrite() throws Exception {
        try (WriterClaim first = WriterClaim.take(run, "r#1", Duration.ZERO)) {
            first.check();
            // the next group's rank 0 in another JVM would wait for the lock; here the token alone changes hands
            try (WriterClaim second = WriterClaim.take(run, "r#2", Duration.ZERO)) {
                assertThatThrownBy(first::check).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("rank 0 of group r#1 no longer writes " + run + ": rank 0 of group r#2 (pid ")
                        .hasMessageContaining("took it over; this replica stops without writing");
                second.check();
            }
        }
    }

    @Test
    void aWriterOutsideTheClusterIsRefusedAtOnce() throws Exception {
        holdInAnotherJvm("ablate train");
        long start = System.nanoTime();
        Throwable failure = catchThrowable(() -> WriterClaim.take(run, "r#1", Duration.ofSeconds(60)));
        assertThat(failure).isInstanceOf(IllegalArgumentException.class).isNotInstanceOf(RunLock.Held.class)
                .hasMessageContaining(run + " is being written by ablate train (pid " + holder.pid())
                .hasMessageContaining("outside the cluster");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(run.resolve(WriterClaim.TOKEN)).doesNotExist();
    }
}
