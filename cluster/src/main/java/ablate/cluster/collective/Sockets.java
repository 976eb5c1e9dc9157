package ablate.cluster.collective;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** The socket options the ring uses, in one place so that the listener and the connector agree. */
final class Sockets {
    /**
     * Kernel send and receive buffer per socket, or 0 to leave Linux's autotuning alone. An
     * explicit size disables autotuning and is capped by net.core.[rw]mem_max.
     */
    static final int BUFFER_BYTES = Integer.getInteger("ablate.ring.socketBuffer", 0);

    private Sockets() {}

    /** Before bind, so that accepted sockets inherit the receive buffer (and its window scale). */
    static void tuneListener(ServerSocketChannel server) throws IOException {
        if (BUFFER_BYTES > 0) {
            server.setOption(StandardSocketOptions.SO_RCVBUF, BUFFER_BYTES);
        }
    }

    /** Before connect, for the same reason. */
    static void tuneConnecting(SocketChannel channel) throws IOException {
        if (BUFFER_BYTES > 0) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, BUFFER_BYTES);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, BUFFER_BYTES);
        }
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }

    /** Once connected (accepted sockets do not inherit TCP_NODELAY). */
    static void tuneConnected(SocketChannel channel) throws IOException {
        if (BUFFER_BYTES > 0) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, BUFFER_BYTES);
        }
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }
}
