package ablate.cluster.collective;

import ablate.cluster.collective.CallHeader.Call;
import ablate.cluster.collective.CallHeader.Op;
import ablate.trainer.parallel.AllReduceException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.Buffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rank's end of a ring collective over TCP, for data-parallel trainer JVMs that sum gradients.
 * The ring algorithm (Patarasuk and Yuan 2009, "Bandwidth optimal all-reduce algorithms for
 * clusters of workstations"; as in Gloo and Horovod): a reduce-scatter of R - 1 steps leaves rank r
 * with the sum of its chunk {@link #chunk}, an all-gather of R - 1 steps hands every chunk to every
 * rank. Each step sends one chunk to rank + 1 while it receives another from rank - 1, in blocks of
 * {@link Settings#blockBytes()}, so each rank sends and receives about 2 (R - 1) / R of the buffer.
 *
 * <p>Buffers are used from their position to their limit (the position is left alone), direct
 * (views of tensor memory, the usual case) or heap, in native byte order. Sums: int64 wraps
 * around (exact when the caller rules out overflow, as a fixed-point gradient does); float32 chunk
 * c is summed along the ring from rank c + 1, {@code ((x[c+1] + x[c+2]) + ...) + x[c]} (ranks mod
 * R), the same order on every call, and the all-gather copies bits, so every rank holds identical
 * values. The exact use: {@code reduceScatter(LongBuffer)} of fixed-point gradients, convert the
 * own chunk to float, {@code allGather(FloatBuffer)} of the same length: both use the same chunks.
 *
 * <p>Every wait has a deadline: the join within {@link Settings#timeout()}; a collective fails when
 * it makes no progress for that long (a long transfer that moves is never cut short), at once when
 * a neighbour it still needs closes its socket (a crash), and when the calling thread is interrupted. It fails with
 * {@link AllReduceException} naming this rank, the peer, what it waited for and the timeout; the
 * collective is then broken: its sockets close (so the neighbours fail promptly too) and every
 * later call fails at once with that cause. Every call begins with a 32-byte header that must
 * match the previous rank's (operation, element type, length, call count), so ranks that disagree
 * fail instead of mixing data. Not thread-safe: one thread calls at a time; {@link #close()} may
 * come from another thread and aborts a running call.
 */
public final class RingCollective implements AutoCloseable {
    /**
     * @param group an id both sides of every link check in the handshake; at most 1 KiB of UTF-8
     * @param timeout the join's deadline, and how long a collective may make no progress, which
     *     includes waiting for the neighbours to reach the same call: set it above the normal skew
     *     between ranks (a slow step, a checkpoint save), or a straggler reads as a failure
     * @param blockBytes the unit of pipelining, a multiple of 8, at least 4 KiB
     */
    public record Settings(String group, int rank, int ranks, Duration timeout, int blockBytes) {
        public static final int DEFAULT_BLOCK_BYTES = 1 << 20;

        public Settings {
            Objects.requireNonNull(group, "group");
            if (group.isEmpty() || group.getBytes(StandardCharsets.UTF_8).length > 1024) {
                throw new IllegalArgumentException("group must be 1 to 1024 bytes of UTF-8, got '" + group + "'");
            }
            if (ranks < 1 || rank < 0 || rank >= ranks) {
                throw new IllegalArgumentException("rank " + rank + " of " + ranks + ": need 0 <= rank < ranks");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            if (blockBytes < 4096 || blockBytes % 8 != 0) {
                throw new IllegalArgumentException("blockBytes must be a multiple of 8 and at least 4096, got " + blockBytes);
            }
        }

        /** With 1 MiB blocks. */
        public static Settings of(String group, int rank, int ranks, Duration timeout) {
            return new Settings(group, rank, ranks, timeout, DEFAULT_BLOCK_BYTES);
        }
    }

    /** The interval [start, end): of elements in the API, of bytes inside. */
    public record Range(long start, long end) {
        public Range {
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
            }
        }

        public long length() {
            return end - start;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(RingCollective.class);
    private static final int MAX_RECORD_BYTES = 64 << 20;

    private final Settings settings;
    private final String self;
    private final RingLinks links;
    private final Blocks blocks;
    private final CallHeader header;

    private RingCollective(Settings settings, String self, RingLinks links) {
        this.settings = settings;
        this.self = self;
        this.links = links;
        this.blocks = new Blocks(settings.blockBytes());
        this.header = new CallHeader(self, links.prev());
    }

    /** A listening socket for one rank, opened before the group's addresses are known (port 0: any free port). */
    public static Endpoint listen(InetSocketAddress bind) throws IOException {
        return Endpoint.open(bind);
    }

    /**
     * Connects to rank + 1 and accepts rank - 1, each checked by a handshake on the group id and
     * the ranks (strays are refused, the wait goes on), within {@code settings.timeout()}. With one
     * rank it connects to itself. Closes the endpoint either way.
     *
     * @param addresses every rank's advertised {@link Endpoint#address()}, in rank order
     * @throws AllReduceException when the ring is not connected in time, a peer refuses this rank,
     *     or the thread is interrupted
     */
    public static RingCollective join(Endpoint endpoint, List<InetSocketAddress> addresses, Settings settings) {
        if (addresses.size() != settings.ranks()) {
            throw new IllegalArgumentException(addresses.size() + " addresses for " + settings.ranks() + " ranks");
        }
        String self = "rank " + settings.rank() + " of " + settings.ranks() + " (group " + settings.group() + ")";
        RingCollective ring = new RingCollective(settings, self, Rendezvous.join(endpoint, List.copyOf(addresses), settings, self));
        log.info("{}: joined the ring", self);
        return ring;
    }

    public int rank() {
        return settings.rank();
    }

    public int ranks() {
        return settings.ranks();
    }

    /** The elements [start, end) rank r owns after a reduce-scatter of n elements: chunks differ by at most one, the longer first. */
    public Range chunk(int r, long n) {
        Objects.checkIndex(r, ranks());
        if (n < 0) {
            throw new IllegalArgumentException("negative length " + n);
        }
        long base = n / ranks();
        long extra = n % ranks();
        long start = r * base + Math.min(r, extra);
        return new Range(start, start + base + (r < extra ? 1 : 0));
    }

    /** Afterwards {@code data[chunk(rank)]} holds the int64 sum over ranks (the rest is scratch). */
    public void reduceScatter(LongBuffer data) {
        collective(Op.REDUCE_SCATTER, Element.INT64, segment(data, data.order()));
    }

    /** Afterwards {@code data[chunk(rank)]} holds the float32 sum over ranks, in the ring order above. */
    public void reduceScatter(FloatBuffer data) {
        collective(Op.REDUCE_SCATTER, Element.FLOAT32, segment(data, data.order()));
    }

    /** Every rank gets every rank's {@code chunk(r)} of data. */
    public void allGather(LongBuffer data) {
        collective(Op.ALL_GATHER, Element.INT64, segment(data, data.order()));
    }

    /** Every rank gets every rank's {@code chunk(r)} of data. */
    public void allGather(FloatBuffer data) {
        collective(Op.ALL_GATHER, Element.FLOAT32, segment(data, data.order()));
    }

    /** Reduce-scatter then all-gather: every rank holds the same int64 sums. */
    public void sum(LongBuffer data) {
        collective(Op.SUM, Element.INT64, segment(data, data.order()));
    }

    /** Reduce-scatter then all-gather: every rank holds bitwise identical float32 sums. */
    public void sum(FloatBuffer data) {
        collective(Op.SUM, Element.FLOAT32, segment(data, data.order()));
    }

    /** Every rank's record (small: a few KB; at most 64 MiB), in rank order, on every rank. */
    public List<byte[]> allGather(byte[] mine) {
        links.checkUsable();
        if (mine.length > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("a record of " + mine.length + " bytes; at most " + MAX_RECORD_BYTES);
        }
        if (ranks() == 1) {
            return List.of(mine.clone());
        }
        Call call = new Call(Op.RECORDS, Element.BYTES, mine.length, Op.RECORDS.label + " of " + mine.length + " bytes");
        String what = call.what();
        long[] lengths = new long[ranks()];
        lengths[rank()] = mine.length;
        gatherSteps(call, true, "lengths all-gather", MemorySegment.ofArray(lengths), r -> new Range(8L * r, 8L * r + 8));
        long[] offsets = new long[ranks() + 1];
        for (int r = 0; r < ranks(); r++) {
            if (lengths[r] < 0 || lengths[r] > MAX_RECORD_BYTES) {
                throw links.breakWith(new AllReduceException(self + ": rank " + r + " sent a record length of " + lengths[r] + " in " + what));
            }
            offsets[r + 1] = offsets[r] + lengths[r];
        }
        if (offsets[ranks()] > Integer.MAX_VALUE - 8) {
            throw links.breakWith(new AllReduceException(self + ": the records total " + offsets[ranks()] + " bytes, more than an array holds"));
        }
        byte[] all = new byte[(int) offsets[ranks()]];
        System.arraycopy(mine, 0, all, (int) offsets[rank()], mine.length);
        gatherSteps(call, false, "records all-gather", MemorySegment.ofArray(all), r -> new Range(offsets[r], offsets[r + 1]));
        List<byte[]> records = new ArrayList<>(ranks());
        for (int r = 0; r < ranks(); r++) {
            records.add(Arrays.copyOfRange(all, (int) offsets[r], (int) offsets[r + 1]));
        }
        return List.copyOf(records);
    }

    /** Closes both links; a call running on another thread fails, later calls fail at once. */
    @Override
    public void close() {
        links.close();
    }

    private static MemorySegment segment(Buffer data, ByteOrder order) {
        if (data.isReadOnly()) {
            throw new IllegalArgumentException("a read-only buffer cannot receive the result");
        }
        if (order != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("buffers must be in native byte order (" + ByteOrder.nativeOrder() + "), got " + order);
        }
        return MemorySegment.ofBuffer(data);
    }

    private void collective(Op op, Element element, MemorySegment data) {
        links.checkUsable();
        if (ranks() == 1) {
            return;
        }
        long n = data.byteSize() / element.bytes;
        Call call = new Call(op, element, n, op.label + "(" + element.label + " x " + n + ")");
        IntFunction<Range> bytes = r -> {
            Range c = chunk(r, n);
            return new Range(c.start() * element.bytes, c.end() * element.bytes);
        };
        if (op != Op.ALL_GATHER) {
            for (int s = 0; s < ranks() - 1; s++) {
                Range send = bytes.apply(ring(rank() - s - 1));
                Range recv = bytes.apply(ring(rank() - s - 2));
                step(call, s == 0, blocks.send(data, send), blocks.sumInto(data, recv, element), "reduce-scatter step " + (s + 1));
            }
        }
        if (op != Op.REDUCE_SCATTER) {
            gatherSteps(call, op == Op.ALL_GATHER, "all-gather", data, bytes);
        }
    }

    /** The R - 1 all-gather steps of bytes {@code bytes.apply(r)} of data; the first opens the call when {@code opens}. */
    private void gatherSteps(Call call, boolean opens, String phase, MemorySegment data, IntFunction<Range> bytes) {
        for (int s = 0; s < ranks() - 1; s++) {
            Range send = bytes.apply(ring(rank() - s));
            Range recv = bytes.apply(ring(rank() - s - 1));
            step(call, opens && s == 0, blocks.send(data, send), blocks.copyInto(data, recv), phase + " step " + (s + 1));
        }
    }

    /** One ring step; the call's first one carries its header in front of the data. */
    private void step(Call call, boolean opens, RingLinks.Outgoing out, RingLinks.Incoming in, String step) {
        String what = call.what() + ", " + step + " of " + (ranks() - 1);
        if (opens) {
            header.openWith(links, call, out, in, what);
        } else {
            links.exchange(out, in, what);
        }
    }

    private int ring(int r) {
        return Math.floorMod(r, ranks());
    }
}
