package ablate.cluster.collective;

import ablate.cluster.collective.RingCollective.Range;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * What one ring step sends and receives, block by block, over the caller's memory. Native memory
 * (direct buffers, tensor views) goes to and from the sockets as it is; heap memory is staged
 * through two direct buffers of one block, allocated once, since the kernel reads and writes only
 * native memory (the JDK would otherwise allocate a temporary direct buffer per write).
 */
final class Blocks {
    private final ByteBuffer sendStage;
    private final ByteBuffer recvStage;
    private final MemorySegment sendStageSegment;
    private final MemorySegment recvStageSegment;

    Blocks(int blockBytes) {
        this.sendStage = ByteBuffer.allocateDirect(blockBytes);
        this.recvStage = ByteBuffer.allocateDirect(blockBytes);
        this.sendStageSegment = MemorySegment.ofBuffer(sendStage);
        this.recvStageSegment = MemorySegment.ofBuffer(recvStage);
    }

    /** Sends bytes [range) of data. */
    RingLinks.Outgoing send(MemorySegment data, Range bytes) {
        return new RingLinks.Outgoing() {
            @Override
            public long size() {
                return bytes.length();
            }

            @Override
            public ByteBuffer block(long offset, int length) {
                if (data.isNative()) {
                    return data.asSlice(bytes.start() + offset, length).asByteBuffer();
                }
                MemorySegment.copy(data, bytes.start() + offset, sendStageSegment, 0, length);
                return sendStage.clear().limit(length);
            }
        };
    }

    /** Receives a block at a time into the stage and adds it into bytes [range) of data. */
    RingLinks.Incoming sumInto(MemorySegment data, Range bytes, Element element) {
        return new RingLinks.Incoming() {
            @Override
            public long size() {
                return bytes.length();
            }

            @Override
            public ByteBuffer block(long offset, int length) {
                return recvStage.clear().limit(length);
            }

            @Override
            public void filled(long offset, int length) {
                element.addInto(data, bytes.start() + offset, recvStageSegment, length);
            }
        };
    }

    /** Receives into bytes [range) of data. */
    RingLinks.Incoming copyInto(MemorySegment data, Range bytes) {
        return new RingLinks.Incoming() {
            @Override
            public long size() {
                return bytes.length();
            }

            @Override
            public ByteBuffer block(long offset, int length) {
                if (data.isNative()) {
                    return data.asSlice(bytes.start() + offset, length).asByteBuffer();
                }
                return recvStage.clear().limit(length);
            }

            @Override
            public void filled(long offset, int length) {
                if (!data.isNative()) {
                    MemorySegment.copy(recvStageSegment, 0, data, bytes.start() + offset, length);
                }
            }
        };
    }
}
