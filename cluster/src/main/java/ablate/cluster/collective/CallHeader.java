package ablate.cluster.collective;

import ablate.trainer.parallel.AllReduceException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 32 bytes that open every call on each link (magic, operation, element type, length, call
 * count), so that ranks which disagree fail instead of mixing data. They travel as the first block
 * of the call's first step, in front of its data, and the previous rank's header is checked as soon
 * as it arrives, before any data behind it is used: no round trip of its own.
 */
final class CallHeader {
    /** What a call does; the header carries its ordinal. */
    enum Op {
        SUM("sum"), REDUCE_SCATTER("reduceScatter"), ALL_GATHER("allGather"), RECORDS("allGather(byte[])");

        final String label;

        Op(String label) {
            this.label = label;
        }
    }

    /** One call: what it does, on how many elements, and how failure messages name it. */
    record Call(Op op, Element element, long n, String what) {}

    static final int BYTES = 32;
    private static final int MAGIC = 0x52494e47; // "RING"

    private final String self;
    private final Peer prev;
    private final ByteBuffer out = ByteBuffer.allocateDirect(BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer in = ByteBuffer.allocateDirect(BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long calls;

    CallHeader(String self, Peer prev) {
        this.self = self;
        this.prev = prev;
    }

    /** The call's first step, with this rank's header in front of what it sends and the previous rank's in front of what it receives. */
    void openWith(RingLinks links, Call call, RingLinks.Outgoing out, RingLinks.Incoming in, String step) {
        long count = calls++;
        this.out.clear().putInt(MAGIC).putInt(call.op().ordinal()).putInt(call.element().ordinal()).putInt(0).putLong(call.n()).putLong(count).flip();
        links.exchange(sendBefore(out), receiveBefore(call, count, in), step);
    }

    private RingLinks.Outgoing sendBefore(RingLinks.Outgoing data) {
        return new RingLinks.Outgoing() {
            @Override
            public long size() {
                return BYTES + data.size();
            }

            @Override
            public int blockLength(long offset, int blockBytes) {
                return offset == 0 ? BYTES : data.blockLength(offset - BYTES, blockBytes);
            }

            @Override
            public ByteBuffer block(long offset, int length) {
                return offset == 0 ? out.clear() : data.block(offset - BYTES, length);
            }
        };
    }

    /** The previous rank's header, checked against this rank's call before any data behind it is used. */
    private RingLinks.Incoming receiveBefore(Call call, long count, RingLinks.Incoming data) {
        return new RingLinks.Incoming() {
            @Override
            public long size() {
                return BYTES + data.size();
            }

            @Override
            public int blockLength(long offset, int blockBytes) {
                return offset == 0 ? BYTES : data.blockLength(offset - BYTES, blockBytes);
            }

            @Override
            public ByteBuffer block(long offset, int length) {
                return offset == 0 ? in.clear() : data.block(offset - BYTES, length);
            }

            @Override
            public void filled(long offset, int length) {
                if (offset == 0) {
                    check(call, count);
                } else {
                    data.filled(offset - BYTES, length);
                }
            }
        };
    }

    private void check(Call call, long count) {
        int theirOp = in.getInt(4);
        int theirElement = in.getInt(8);
        long theirN = in.getLong(16);
        long theirCount = in.getLong(24);
        if (in.getInt(0) != MAGIC || theirOp < 0 || theirOp >= Op.values().length || theirElement < 0 || theirElement >= Element.values().length) {
            throw new AllReduceException(self + ": " + prev + " sent a malformed header in " + call.what());
        }
        Op o = Op.values()[theirOp];
        Element e = Element.values()[theirElement];
        if (o != call.op() || e != call.element() || (o != Op.RECORDS && theirN != call.n()) || theirCount != count) {
            throw new AllReduceException(self + ": " + prev + " called " + o.label + "(" + e.label + " x " + theirN + ") as its call #"
                    + theirCount + ", this rank " + call.what() + " as call #" + count);
        }
    }
}
