package ablate.cluster.collective;

import ablate.cluster.collective.RingCollective.Settings;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.List;

/**
 * Rank 1 of a 2-rank ring in its own JVM, for the tests where a peer must really stop or die:
 * listens on loopback, prints {@code address PORT}, joins rank 0 (whose port is the argument),
 * then sums {@code n} ones until the ring breaks.
 *
 * <p>Arguments: group, rank 0's port, n, timeout in milliseconds.
 */
public final class RingPeer {
    private RingPeer() {}

    public static void main(String[] args) throws Exception {
        String group = args[0];
        var rank0 = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
        int n = Integer.parseInt(args[2]);
        Duration timeout = Duration.ofMillis(Long.parseLong(args[3]));
        Endpoint endpoint = RingCollective.listen(new InetSocketAddress("127.0.0.1", 0));
        System.out.println("address " + endpoint.address().getPort());
        System.out.flush();
        try (RingCollective ring = RingCollective.join(endpoint, List.of(rank0, endpoint.address()), Settings.of(group, 1, 2, timeout))) {
            FloatBuffer data = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
            while (true) {
                for (int i = 0; i < n; i++) {
                    data.put(i, 1f);
                }
                ring.sum(data);
            }
        }
    }
}
