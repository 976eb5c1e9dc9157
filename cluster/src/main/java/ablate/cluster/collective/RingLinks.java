package ablate.cluster.collective;

import ablate.trainer.parallel.AllReduceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two TCP links of one rank in the ring, to the next rank and from the previous one, and the
 * loop that drives both at once: one ring step sends a byte stream to the next rank while it
 * receives another from the previous one, block by block, on the calling thread with non-blocking
 * channels and a {@link Selector} (a kernel socket buffer keeps each direction busy while the
 * thread serves the other or sums a block).
 *
 * <p>Waits have "no progress for {@code timeout}" deadlines, so a long transfer is never cut short
 * but a peer that stops is. The first failure breaks the links: both sockets close (so that the
 * neighbours fail promptly too) and every later exchange fails at once with that cause.
 */
final class RingLinks implements AutoCloseable {
    /** The bytes one step sends, handed out a block at a time. */
    interface Outgoing {
        long size();

        /** The length of the block at {@code offset}: by default as long as the links' block allows. */
        default int blockLength(long offset, int blockBytes) {
            return (int) Math.min(blockBytes, size() - offset);
        }

        /** A buffer whose remaining bytes are the stream's bytes [offset, offset + length). */
        ByteBuffer block(long offset, int length);
    }

    /** Where the bytes one step receives go, a block at a time. */
    interface Incoming {
        long size();

        /** The length of the block at {@code offset}: by default as long as the links' block allows. */
        default int blockLength(long offset, int blockBytes) {
            return (int) Math.min(blockBytes, size() - offset);
        }

        /** A buffer with exactly {@code length} bytes remaining, to receive [offset, offset + length) into. */
        ByteBuffer block(long offset, int length);

        /** Called once the block for [offset, offset + length) is full; may throw AllReduceException to break the links. */
        void filled(long offset, int length);
    }

    private static final Logger log = LoggerFactory.getLogger(RingLinks.class);

    private final String self;
    private final Peer next;
    private final Peer prev;
    private final SocketChannel toNext;
    private final SocketChannel fromPrev;
    private final Duration timeout;
    private final int blockBytes;
    private final Selector selector;
    private final SelectionKey nextKey;
    private final SelectionKey prevKey;
    /** Reads from the next rank, which never sends: only to see it close while we send to it. */
    private final ByteBuffer probe = ByteBuffer.allocateDirect(64);
    private volatile AllReduceException broken;
    /** Notes which sockets turned readable: the previous rank sent data, the next one closed (or misbehaves). */
    private final Consumer<SelectionKey> onReady;
    private boolean readyNext;
    private boolean readyPrev;

    /** @param self how messages name this rank, e.g. "rank 0 of 4 (group g)" */
    RingLinks(String self, Peer next, SocketChannel toNext, Peer prev, SocketChannel fromPrev, Duration timeout, int blockBytes)
            throws IOException {
        this.self = self;
        this.next = next;
        this.prev = prev;
        this.toNext = toNext;
        this.fromPrev = fromPrev;
        this.timeout = timeout;
        this.blockBytes = blockBytes;
        this.selector = Selector.open();
        toNext.configureBlocking(false);
        fromPrev.configureBlocking(false);
        this.nextKey = toNext.register(selector, SelectionKey.OP_READ);
        this.prevKey = fromPrev.register(selector, 0);
        this.onReady = key -> {
            readyNext |= key == nextKey && key.isReadable();
            readyPrev |= key == prevKey && key.isReadable();
        };
    }

    /** Fails at once when an earlier exchange broke the links. */
    void checkUsable() {
        AllReduceException cause = broken;
        if (cause != null) {
            throw new AllReduceException(self + ": the collective broke earlier and cannot be used: " + cause.getMessage(), cause);
        }
    }

    /**
     * Sends {@code out} to the next rank while receiving {@code in} from the previous one; returns
     * when both are complete. {@code what} names the operation in failure messages.
     */
    void exchange(Outgoing out, Incoming in, String what) {
        checkUsable();
        try {
            run(out, in, what);
        } catch (IOException | RuntimeException e) {
            AllReduceException closed = broken; // only close() from another thread sets it during a call
            if (closed != null) {
                throw new AllReduceException(self + ": " + what + " aborted: " + closed.getMessage(), e);
            }
            throw breakWith(e instanceof AllReduceException failure ? failure : new AllReduceException(self + ": " + what + " failed: " + e, e));
        }
    }

    private void run(Outgoing out, Incoming in, String what) throws IOException {
        long sendSize = out.size();
        long recvSize = in.size();
        long sent = 0;
        long received = 0;
        int sendLength = 0;
        int recvLength = 0;
        ByteBuffer sending = null;
        ByteBuffer receiving = null;
        long idleSince = System.nanoTime();
        while (sent < sendSize || received < recvSize) {
            if (Thread.currentThread().isInterrupted()) {
                throw new AllReduceException(self + ": interrupted in " + what + " (" + pending(sent < sendSize, received < recvSize) + ")");
            }
            boolean progress = false;
            if (sent < sendSize) {
                if (sending == null) {
                    sendLength = out.blockLength(sent, blockBytes);
                    sending = out.block(sent, sendLength);
                }
                if (write(sending, what) > 0) {
                    progress = true;
                    if (!sending.hasRemaining()) {
                        sent += sendLength;
                        sending = null;
                    }
                }
            }
            if (received < recvSize) {
                if (receiving == null) {
                    recvLength = in.blockLength(received, blockBytes);
                    receiving = in.block(received, recvLength);
                }
                if (read(receiving, what) > 0) {
                    progress = true;
                    if (!receiving.hasRemaining()) {
                        in.filled(received, recvLength);
                        received += recvLength;
                        receiving = null;
                    }
                }
            }
            if (progress) {
                idleSince = System.nanoTime();
            } else {
                await(sent < sendSize, received < recvSize, idleSince, what);
            }
        }
    }

    private int write(ByteBuffer buffer, String what) {
        try {
            return toNext.write(buffer);
        } catch (IOException e) {
            throw new AllReduceException(self + ": sending to " + next + " failed in " + what + ": " + e.getMessage(), e);
        }
    }

    private int read(ByteBuffer buffer, String what) {
        int n;
        try {
            n = fromPrev.read(buffer);
        } catch (IOException e) {
            throw new AllReduceException(self + ": receiving from " + prev + " failed in " + what + ": " + e.getMessage(), e);
        }
        if (n < 0) {
            throw new AllReduceException(self + ": " + prev + " closed the connection in " + what + " (did it fail or stop?)");
        }
        return n;
    }

    /** Blocks until a socket is ready, the next rank closes while we send to it, the deadline passes or the thread is interrupted. */
    private void await(boolean sending, boolean receiving, long idleSince, String what) throws IOException {
        long left = idleSince + timeout.toNanos() - System.nanoTime();
        if (left <= 0) {
            throw new AllReduceException(self + ": no progress for " + timeout + " in " + what + ": waiting " + pending(sending, receiving));
        }
        // The next rank's close matters only while this step still sends to it: once it has all our
        // bytes it may finish the call and close before we do, and that is no failure.
        nextKey.interestOps(sending ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : 0);
        prevKey.interestOps(receiving ? SelectionKey.OP_READ : 0);
        readyNext = false;
        readyPrev = false;
        selector.select(onReady, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
        // What the previous rank sent first: it may explain why the next one closed (a header mismatch).
        if (readyNext && !readyPrev) {
            probe.clear();
            int n = toNextRead(what);
            if (n < 0) {
                throw new AllReduceException(self + ": " + next + " closed the connection in " + what + " (did it fail or stop?)");
            }
            if (n > 0) {
                throw new AllReduceException(self + ": " + next + " sent " + n + " unexpected bytes in " + what);
            }
        }
    }

    private int toNextRead(String what) {
        try {
            return toNext.read(probe);
        } catch (IOException e) {
            throw new AllReduceException(self + ": the connection to " + next + " failed in " + what + ": " + e.getMessage(), e);
        }
    }

    private String pending(boolean sending, boolean receiving) {
        if (sending && receiving) {
            return "to receive from " + prev + " and to send to " + next;
        }
        return sending ? "to send to " + next : "to receive from " + prev;
    }

    Peer prev() {
        return prev;
    }

    /** Breaks the links with {@code e} as the cause later calls report, and returns e to throw. */
    AllReduceException breakWith(AllReduceException e) {
        if (broken == null) {
            broken = e;
            log.warn("the collective is broken, closing its connections: {}", e.getMessage());
        }
        closeQuietly();
        return e;
    }

    @Override
    public void close() {
        if (broken == null) {
            broken = new AllReduceException(self + ": the collective was closed");
        }
        closeQuietly();
    }

    private void closeQuietly() {
        for (AutoCloseable c : new AutoCloseable[] {selector, toNext, fromPrev}) {
            try {
                c.close();
            } catch (Exception e) {
                log.debug("{}: closing {}: {}", self, c, e.toString());
            }
        }
    }
}
