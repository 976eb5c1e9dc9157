package ablate.cluster.protocol;

/**
 * Marks every message, event and snapshot that crosses a JVM boundary or goes into the journal:
 * ablate-node.conf binds it to {@link KryoSerializer}. An implementing record must also be listed in
 * {@link Registrations#CLASSES}, or sending it fails (and nothing is sent).
 */
public interface ClusterMessage {}
