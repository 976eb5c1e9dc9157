package ablate.cluster.collective;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * The socket options the ring sets. Buffer sizes are left to Linux's autotuning (up to
 * net.ipv4.tcp_wmem/tcp_rmem's maximum, 4 and 32 MiB on our machines): an explicit SO_SNDBUF/
 * SO_RCVBUF turns autotuning off and is capped by net.core.[rw]mem_max (4 MiB here), and on
 * loopback an explicit 4 MiB measured the same as autotuning (ops/bench/allreduce/README.md).
 */
final class Sockets {
    private Sockets() {}

    /** Each block is written whole: no reason to let Nagle hold back its tail or a header. */
    static void tune(SocketChannel channel) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }
}
