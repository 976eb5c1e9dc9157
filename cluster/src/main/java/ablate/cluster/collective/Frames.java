package ablate.cluster.collective;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;

/** Length-prefixed handshake frames ([int length][payload], payload at most 4 KiB) on non-blocking channels. */
final class Frames {
    static final int MAX_PAYLOAD = 4096;

    private Frames() {}

    /** A frame ready to write, its payload filled in by {@code payload}. */
    static ByteBuffer frame(Consumer<ByteBuffer> payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + MAX_PAYLOAD);
        b.position(4);
        payload.accept(b);
        b.putInt(0, b.position() - 4);
        return b.flip();
    }

    /** Reads one frame, never past its end, across as many reads as the channel needs. */
    static final class Reader {
        private final ByteBuffer buffer = ByteBuffer.allocate(4 + MAX_PAYLOAD);

        Reader() {
            reset();
        }

        void reset() {
            buffer.clear().limit(4);
        }

        /** Reads what is available; true once the whole frame is in. */
        boolean readFrom(SocketChannel channel) throws IOException {
            while (true) {
                if (!buffer.hasRemaining()) {
                    if (buffer.limit() > 4) {
                        return true;
                    }
                    int length = buffer.getInt(0);
                    if (length < 0 || length > MAX_PAYLOAD) {
                        throw new ProtocolException("frame of " + length + " bytes, at most " + MAX_PAYLOAD + " expected");
                    }
                    buffer.limit(4 + length);
                    if (length == 0) {
                        return true;
                    }
                }
                int n = channel.read(buffer);
                if (n < 0) {
                    throw new EOFException("closed in the middle of a handshake frame");
                }
                if (n == 0) {
                    return false;
                }
            }
        }

        /** The payload of a complete frame. */
        ByteBuffer payload() {
            return buffer.duplicate().position(4);
        }
    }
}
