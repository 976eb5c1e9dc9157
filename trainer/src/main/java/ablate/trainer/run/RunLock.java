package ablate.trainer.run;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of a run folder: an exclusive lock on {@code RUN_DIR/.lock} held for as long as a
 * run trains there, with who holds it (command, host, PID, since when) written inside. The
 * operating system releases the lock when its process dies, so a lock file left by a killed
 * process is taken over (and reported); a live holder makes another writer refuse, naming it.
 */
public final class RunLock implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunLock.class);
    public static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the folder's lock for {@code holder} (e.g. "ablate train").
     *
     * @throws Held when another live process (or this one) holds it, naming the holder
     */
    public static RunLock acquire(Path runDir, String holder) throws IOException {
        FileChannel channel = FileChannel.open(runDir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String who = read(channel);
            channel.close();
            throw held(runDir, who);
        }
        String before = read(channel);
        if (!before.isBlank()) {
            log.warn("{}: taking over the lock left by {} (that process is gone)", runDir, before);
        }
        String me = holder + " (pid " + ProcessHandle.current().pid() + " on " + host() + ", since " + Instant.now() + ")";
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(true);
        return new RunLock(channel, lock);
    }

    /** Fails, changing nothing, when another writer holds the folder: before a command does any work for it. */
    public static void checkFree(Path runDir) throws IOException {
        String who = holder(runDir);
        if (!who.isEmpty()) {
            throw held(runDir, who);
        }
    }

    private static Held held(Path runDir, String who) {
        return new Held(runDir + " is being written by " + (who.isBlank() ? "another process" : who) + "; a run folder has one"
                + " writer at a time: wait for it to finish, or stop it (its lock goes with its process); nothing was changed", who);
    }

    /**
     * The refusal when another writer holds the folder. {@link #holder()} is what that writer wrote
     * in the lock file, blank in the instant it is taking or releasing the lock.
     */
    public static final class Held extends IllegalArgumentException {
        private final String holder;

        Held(String message, String holder) {
            super(message);
            this.holder = holder;
        }

        public String holder() {
            return holder;
        }
    }

    /** Who holds the folder's lock now ("" when nobody does), without taking it for long. */
    public static String holder(Path runDir) throws IOException {
        Path file = runDir.resolve(FILE);
        if (!Files.exists(file)) {
            return "";
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock probe;
            try {
                probe = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                return read(channel);
            }
            if (probe != null) {
                probe.release();
                return "";
            }
            String who = read(channel);
            return who.isBlank() ? "another process" : who;
        }
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(4096, channel.size()));
        channel.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    /** Releases the lock and empties the file (a line left in it means its writer was killed). */
    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0);
            lock.release();
        } finally {
            channel.close();
        }
    }
}
