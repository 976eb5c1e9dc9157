package ablate.cluster.node;

import ablate.cluster.coordinator.JournalSchema;
import com.typesafe.config.Config;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a node's ActorSystem in the order its parts need: journal schema, system, cluster join. */
public final class Node {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private Node() {}

    /** A node that owns its JVM ({@code ablate node}): the JVM exits when the node shuts down or is downed. */
    public static <T> ActorSystem<T> start(NodeSettings settings, Behavior<T> guardian) {
        return start(settings, guardian, settings.pekkoConfig());
    }

    /** A node inside a JVM that goes on without it (tests, tools). */
    public static <T> ActorSystem<T> startInProcess(NodeSettings settings, Behavior<T> guardian) {
        return start(settings, guardian, settings.inProcessPekkoConfig());
    }

    private static <T> ActorSystem<T> start(NodeSettings settings, Behavior<T> guardian, Config config) {
        if (settings.hasRole(Role.COORDINATOR)) {
            // Before the system: the coordinator singleton may start on this node as soon as it joins.
            JournalSchema.ensure(settings.journal());
        }
        ActorSystem<T> system = ActorSystem.create(guardian, NodeSettings.SYSTEM_NAME, config);
        Cluster cluster = Cluster.get(system);
        if (settings.seeds().isEmpty()) {
            // No seeds: this node is the first and forms the cluster on its own address (also port 0's).
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
        log.info("node {} up as {} at {}; seeds {}", settings.roles(), system.name(), cluster.selfMember().address(),
                settings.seeds().isEmpty() ? "none (joined itself)" : settings.seeds());
        return system;
    }
}
