package ablate.cluster.collective;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/**
 * One rank's listening socket, opened before the group's addresses are known so that the rank can
 * advertise {@link #address()} (bind to port 0 for any free port). {@link RingCollective#join}
 * takes it over and closes it once the ring is connected or the join failed.
 */
public final class Endpoint implements AutoCloseable {
    /** Pending connections the kernel queues before the join accepts them: the previous rank plus strays. */
    private static final int BACKLOG = 64;

    private final ServerSocketChannel server;
    private final InetSocketAddress address;

    private Endpoint(ServerSocketChannel server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    static Endpoint open(InetSocketAddress bind) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(bind, BACKLOG);
            server.configureBlocking(false);
            return new Endpoint(server, (InetSocketAddress) server.getLocalAddress());
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The bound host and port; when bound to a wildcard address, advertise a reachable host instead. */
    public InetSocketAddress address() {
        return address;
    }

    ServerSocketChannel channel() {
        return server;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    @Override
    public String toString() {
        return "Endpoint[" + address + "]";
    }
}
