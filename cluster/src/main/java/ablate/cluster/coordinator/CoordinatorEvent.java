package ablate.cluster.coordinator;

import ablate.cluster.protocol.ClusterMessage;
import java.time.Instant;
import java.util.List;

/**
 * What the coordinator journals. Append-only like {@link ablate.cluster.protocol.Registrations}:
 * an event's components never change once released (add a new event instead), or old journals
 * stop replaying.
 */
public sealed interface CoordinatorEvent extends ClusterMessage {
    /** A run was accepted (its folder and config.conf are written). */
    record RunSubmitted(String name, String config, long steps, int microBatches, int dataParallel, Instant at) implements CoordinatorEvent {}

    /** A run was placed on trainers (rank order) as group (name, generation). */
    record RunPlaced(String name, long generation, List<String> nodes, Instant at) implements CoordinatorEvent {}

    /** The latest step's figures (journaled at checkpoints and when a run stops, not every step). */
    record RunProgressed(String name, long step, double loss, double valLoss, double tokensPerSecond, double mfu, Instant at)
            implements CoordinatorEvent {}

    /** Checkpoint {@code step} is durable and verified: the run resumes from it from now on. */
    record CheckpointCommitted(String name, long step, Instant at) implements CoordinatorEvent {}

    /** The run moved to {@code state}; {@code restarted} counts a broken group against max-restarts. */
    record RunStateChanged(String name, RunState state, String reason, boolean restarted, Instant at) implements CoordinatorEvent {}

    /** A trainer node was seen for the first time. */
    record NodeRegistered(String node, String host, String device, Instant at) implements CoordinatorEvent {}

    /**
     * Checkpoint {@code step} was scored zero-shot: the headline figure per task (results in
     * RUN_DIR/eval/step-N.json), or the problem that stopped the evaluation.
     */
    record RunEvaluated(String name, long step, java.util.Map<String, Double> scores, String problem, Instant at) implements CoordinatorEvent {}
}
