package ablate.cluster.protocol;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** The node an actor lives on, as cluster membership names it (pekko://ablate@host:port). */
public final class NodeAddress {
    private NodeAddress() {}

    /**
     * From the reference's serialization format, which carries host and port for local actors too
     * (a local reference's own path address has neither).
     */
    public static String of(ActorRefResolver refs, ActorRef<?> ref) {
        String full = refs.toSerializationFormat(ref);
        int path = full.indexOf('/', full.indexOf("//") + 2);
        return path < 0 ? full : full.substring(0, path);
    }
}
