package ablate.cluster.trainer;

import ablate.trainer.run.RunLock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rank 0's claim to be its run folder's one writer: the folder's OS lock ({@link RunLock}) when it
 * can be had, and always a fencing token, {@code RUN_DIR/.writer}, naming the group that writes.
 *
 * <p>The lock keeps writers outside the cluster (a local {@code ablate train}) out, and is released
 * when its process dies. But a former rank 0 that the cluster replaced and that still runs (frozen,
 * or cut off and not yet shut down) keeps it for as long as it runs, and the group cannot wait for
 * that: it waits {@code wait} for the lock, then takes over with the token alone and takes the lock
 * whenever it frees. The token fences the former writer instead: every write checks it first
 * ({@link #check()}), so a writer that wakes up after another group took over stops before writing
 * (Kleppmann's fencing token, with the run folder as the storage).
 */
final class WriterClaim implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WriterClaim.class);
    /** How a cluster writer names itself in the lock file (RunLock adds pid, host and time). */
    static final String WRITER = "ablate node";
    /** The fencing token's file in the run folder. */
    static final String TOKEN = ".writer";
    private static final Duration POLL = Duration.ofMillis(200);

    private final Path runDir;
    private final String role;
    private final String token;
    private RunLock lock;

    private WriterClaim(Path runDir, String role, String token, RunLock lock) {
        this.runDir = runDir;
        this.role = role;
        this.token = token;
        this.lock = lock;
    }

    /**
     * Claims {@code runDir} for {@code group}'s rank 0.
     *
     * @throws IllegalArgumentException when a writer outside the cluster holds the folder (at once)
     */
    static WriterClaim take(Path runDir, String group, Duration wait) throws IOException {
        String role = "rank 0 of group " + group;
        long deadline = System.nanoTime() + wait.toNanos();
        RunLock lock = null;
        String former = "";
        while (lock == null) {
            try {
                lock = RunLock.acquire(runDir, WRITER + ", " + role);
            } catch (RunLock.Held held) {
                if (!held.holder().isBlank() && !held.holder().startsWith(WRITER)) {
                    throw new IllegalArgumentException(runDir + " is being written by " + held.holder() + " outside the cluster;"
                            + " stop it before the cluster trains this run");
                }
                former = held.holder().isBlank() ? former : held.holder(); // blank: the holder is taking or releasing it
                if (System.nanoTime() - deadline > 0) {
                    log.warn("{} is still locked by {}, a writer this cluster replaced that still runs (frozen, or cut off);"
                            + " {} takes over without the lock: the fencing token {} stops the former writer before it writes,"
                            + " and the lock is taken once its process ends", runDir, former.isBlank() ? "a former writer" : former,
                            role, TOKEN);
                    break;
                }
                sleep(runDir);
            }
        }
        String token = role + " (pid " + ProcessHandle.current().pid() + ")";
        Path temporary = runDir.resolve(TOKEN + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.writeString(temporary, token + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, runDir.resolve(TOKEN), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
        return new WriterClaim(runDir, role, token, lock);
    }

    /**
     * Before every write: fails when another group has taken the folder over since this claim, and
     * takes the lock if this claim went on without it and it has freed meanwhile.
     *
     * @throws IllegalStateException when this writer is fenced off
     */
    void check() throws IOException {
        String now;
        try {
            now = Files.readString(runDir.resolve(TOKEN), StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            now = "nobody (" + TOKEN + " is gone)";
        }
        if (!now.equals(token)) {
            throw new IllegalStateException(role + " no longer writes " + runDir + ": " + now + " took it over; this replica stops"
                    + " without writing");
        }
        if (lock == null) {
            try {
                lock = RunLock.acquire(runDir, WRITER + ", " + role);
                log.info("{}: took the run folder's lock now that its former writer is gone", runDir);
            } catch (RunLock.Held stillHeld) {
                // still running somewhere: the token keeps fencing it
            }
        }
    }

    /** Whether the OS lock is held (not yet, after a takeover from a writer that still runs). */
    boolean locked() {
        return lock != null;
    }

    private static void sleep(Path runDir) throws InterruptedIOException {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the lock of " + runDir);
        }
    }

    /** Releases the lock; the token stays until the next writer replaces it. */
    @Override
    public void close() throws IOException {
        if (lock != null) {
            lock.close();
        }
    }
}
