package ablate.cluster.collective;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The element types the ring moves, with the sum the reduce-scatter applies to a received block. */
enum Element {
    INT64("int64", 8) {
        @Override
        void addInto(MemorySegment acc, long accOffset, MemorySegment in, long bytes) {
            // Two's complement wrap-around, so the sum is exact and independent of order.
            for (long i = 0; i < bytes; i += 8) {
                acc.set(LONG, accOffset + i, acc.get(LONG, accOffset + i) + in.get(LONG, i));
            }
        }
    },
    FLOAT32("float32", 4) {
        @Override
        void addInto(MemorySegment acc, long accOffset, MemorySegment in, long bytes) {
            // in holds the partial sum of the ranks before this one in the ring; this rank's value comes last.
            for (long i = 0; i < bytes; i += 4) {
                acc.set(FLOAT, accOffset + i, in.get(FLOAT, i) + acc.get(FLOAT, accOffset + i));
            }
        }
    },
    /** Opaque bytes: gathered, never summed. */
    BYTES("bytes", 1) {
        @Override
        void addInto(MemorySegment acc, long accOffset, MemorySegment in, long bytes) {
            throw new UnsupportedOperationException("bytes are gathered, not summed");
        }
    };

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    final String label;
    final int bytes;

    Element(String label, int bytes) {
        this.label = label;
        this.bytes = bytes;
    }

    /** acc[accOffset + i] = in[i] + acc[accOffset + i] for the {@code bytes} bytes of in from offset 0. */
    abstract void addInto(MemorySegment acc, long accOffset, MemorySegment in, long bytes);
}
