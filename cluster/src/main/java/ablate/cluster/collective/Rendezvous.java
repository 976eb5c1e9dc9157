package ablate.cluster.collective;

import ablate.cluster.collective.RingCollective.Settings;
import ablate.trainer.parallel.AllReduceException;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects one rank into the ring within the settings' timeout: it connects to rank + 1 (retrying
 * while that rank is not listening yet) and accepts rank - 1, at the same time on one selector, so
 * that no order of starting ranks can deadlock. Each link is checked by a handshake: the connecting
 * side sends a hello (group, ranks, its rank and the rank it wants), the accepting side answers
 * accepted or refused with the reason. A stray connection (another group, a wrong rank, garbage) is
 * refused and the wait goes on; a refusal of our own hello fails the join at once.
 */
final class Rendezvous {
    private static final Logger log = LoggerFactory.getLogger(Rendezvous.class);
    private static final int MAGIC = 0x41524e47; // "ARNG"
    private static final int VERSION = 1;
    private static final int ACCEPTED = 0;
    private static final int REFUSED = 1;

    private final Settings settings;
    private final String self;
    private final Endpoint endpoint;
    private final Peer next;
    private final Peer prev;
    private final Selector selector;
    private final List<SocketChannel> opened = new ArrayList<>();
    private SocketChannel out;
    private final Frames.Reader outReply = new Frames.Reader();
    private String outProblem = "not tried yet";
    private boolean outDone;
    private long retryAt;
    private long backoffMillis = 20;
    private SocketChannel in;
    private boolean inDone;

    private Rendezvous(Endpoint endpoint, List<InetSocketAddress> addresses, Settings settings, String self) throws IOException {
        this.settings = settings;
        this.self = self;
        this.endpoint = endpoint;
        int n = settings.ranks();
        this.next = new Peer((settings.rank() + 1) % n, addresses.get((settings.rank() + 1) % n));
        this.prev = new Peer((settings.rank() + n - 1) % n, addresses.get((settings.rank() + n - 1) % n));
        this.selector = Selector.open();
    }

    /** The connected links, or AllReduceException; closes the endpoint either way. */
    static RingLinks join(Endpoint endpoint, List<InetSocketAddress> addresses, Settings settings, String self) {
        Rendezvous r;
        try {
            r = new Rendezvous(endpoint, addresses, settings, self);
        } catch (IOException e) {
            closeQuietly(endpoint);
            throw new AllReduceException(self + ": cannot open a selector: " + e.getMessage(), e);
        }
        return r.run();
    }

    private RingLinks run() {
        retryAt = System.nanoTime();
        long deadline = retryAt + settings.timeout().toNanos();
        boolean done = false;
        try {
            endpoint.channel().register(selector, SelectionKey.OP_ACCEPT);
            while (!(outDone && inDone)) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new AllReduceException(self + ": interrupted while joining the ring (" + missing() + ")");
                }
                long now = System.nanoTime();
                if (now - deadline >= 0) {
                    throw new AllReduceException(self + ": could not join the ring within " + settings.timeout() + ": " + missing());
                }
                if (out == null && now - retryAt >= 0) {
                    connect();
                }
                long until = out == null ? Math.min(deadline - now, retryAt - now) : deadline - now;
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until + 999_999)));
                for (SelectionKey key : selector.selectedKeys()) {
                    handle(key);
                }
                selector.selectedKeys().clear();
            }
            closeQuietly(selector);
            RingLinks links = new RingLinks(self, next, out, prev, in, settings.timeout(), settings.blockBytes());
            done = true;
            log.debug("{}: joined the ring, sending to {} and receiving from {}", self, next, prev);
            return links;
        } catch (IOException e) {
            throw new AllReduceException(self + ": joining the ring failed: " + e, e);
        } finally {
            closeQuietly(selector);
            closeQuietly(endpoint);
            for (SocketChannel c : opened) {
                if (!done || (c != out && c != in)) {
                    closeQuietly(c);
                }
            }
        }
    }

    private String missing() {
        List<String> parts = new ArrayList<>();
        if (!outDone) {
            parts.add("no link to " + next + " (" + outProblem + ")");
        }
        if (!inDone) {
            parts.add(in == null ? "no connection from " + prev : "replying to " + prev);
        }
        return String.join("; ", parts);
    }

    private void connect() throws IOException {
        out = SocketChannel.open();
        opened.add(out);
        out.configureBlocking(false);
        Sockets.tune(out);
        outReply.reset();
        ByteBuffer hello = Frames.frame(b -> b.putInt(MAGIC).putInt(VERSION).putInt(settings.ranks()).putInt(settings.rank())
                .putInt(next.rank()).put(settings.group().getBytes(StandardCharsets.UTF_8)));
        SelectionKey key = out.register(selector, SelectionKey.OP_CONNECT, hello);
        try {
            if (out.connect(next.address())) {
                key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            retryLater(e.toString());
        }
    }

    private void retryLater(String problem) {
        outProblem = problem;
        log.debug("{}: connecting to {}: {}; retrying in {} ms", self, next, problem, backoffMillis);
        closeQuietly(out);
        out = null;
        retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
        backoffMillis = Math.min(500, backoffMillis * 2);
    }

    private void handle(SelectionKey key) throws IOException {
        if (!key.isValid()) {
            return;
        }
        if (key.isAcceptable()) {
            SocketChannel c;
            while ((c = endpoint.channel().accept()) != null) {
                opened.add(c);
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, new Frames.Reader());
            }
        } else if (key.channel() == out) {
            handleOut(key);
        } else {
            handleIn(key);
        }
    }

    private void handleOut(SelectionKey key) {
        try {
            if (key.isConnectable()) {
                out.finishConnect();
                outProblem = "connected, handshake pending";
                key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
                return;
            }
            if (key.isWritable()) {
                ByteBuffer hello = (ByteBuffer) key.attachment();
                out.write(hello);
                if (!hello.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_READ);
                }
            }
            if (key.isReadable() && outReply.readFrom(out)) {
                ByteBuffer reply = outReply.payload();
                if (reply.remaining() < 8 || reply.getInt() != MAGIC) {
                    throw new ProtocolException("not a ring handshake reply");
                }
                int status = reply.getInt();
                String reason = StandardCharsets.UTF_8.decode(reply).toString();
                if (status != ACCEPTED) {
                    throw new AllReduceException(self + ": " + next + " refused the connection: " + reason);
                }
                key.interestOps(0);
                outDone = true;
            }
        } catch (IOException e) {
            retryLater(e instanceof EOFException ? "it closed the connection during the handshake" : e.toString());
        }
    }

    private void handleIn(SelectionKey key) throws IOException {
        SocketChannel c = (SocketChannel) key.channel();
        if (key.isWritable()) { // the accepted reply did not fit at once
            c.write((ByteBuffer) key.attachment());
            if (!((ByteBuffer) key.attachment()).hasRemaining()) {
                key.interestOps(0);
                inDone = true;
            }
            return;
        }
        Frames.Reader reader = (Frames.Reader) key.attachment();
        String problem;
        try {
            if (!reader.readFrom(c)) {
                return;
            }
            problem = check(reader.payload());
        } catch (IOException e) {
            problem = "unreadable hello: " + e;
        }
        String refusal = problem.isEmpty() && in != null ? "already connected to " + prev : problem;
        ByteBuffer reply = Frames.frame(b -> b.putInt(MAGIC).putInt(refusal.isEmpty() ? ACCEPTED : REFUSED)
                .put(refusal.getBytes(StandardCharsets.UTF_8)));
        if (!refusal.isEmpty()) {
            log.warn("{}: refused a connection from {}: {}", self, remote(c), refusal);
            try {
                c.write(reply); // best effort: the stray learns why
            } catch (IOException e) {
                log.debug("{}: telling {} why it was refused: {}", self, remote(c), e.toString());
            }
            key.cancel();
            closeQuietly(c);
            return;
        }
        in = c;
        Sockets.tune(c);
        c.write(reply);
        if (reply.hasRemaining()) {
            key.attach(reply);
            key.interestOps(SelectionKey.OP_WRITE);
        } else {
            key.interestOps(0);
            inDone = true;
        }
    }

    /** Why a hello is refused, or "" when it is the previous rank of this group. */
    private String check(ByteBuffer hello) {
        if (hello.remaining() < 20 || hello.getInt() != MAGIC) {
            return "not a ring handshake";
        }
        int version = hello.getInt();
        int ranks = hello.getInt();
        int from = hello.getInt();
        int to = hello.getInt();
        String group = StandardCharsets.UTF_8.decode(hello).toString();
        if (version != VERSION) {
            return "protocol version " + version + ", expected " + VERSION;
        }
        if (!group.equals(settings.group())) {
            return "group '" + group + "' but this is group '" + settings.group() + "'";
        }
        if (ranks != settings.ranks() || to != settings.rank() || from != prev.rank()) {
            return "rank " + from + " of " + ranks + " asking for rank " + to + ", but this is rank " + settings.rank()
                    + " of " + settings.ranks() + " waiting for rank " + prev.rank();
        }
        return "";
    }

    private static String remote(SocketChannel c) {
        try {
            return String.valueOf(c.getRemoteAddress());
        } catch (IOException e) {
            return "an unknown address";
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.debug("closing {}: {}", c, e.toString());
        }
    }
}
