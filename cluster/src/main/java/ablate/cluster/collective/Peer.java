package ablate.cluster.collective;

import java.net.InetSocketAddress;

/** A rank of the ring and the address it listens on, as failure messages name it. */
record Peer(int rank, InetSocketAddress address) {
    @Override
    public String toString() {
        return "rank " + rank + " at " + address;
    }
}
