package ablate.cluster.coordinator;

import ablate.cluster.coordinator.CoordinatorEvent.CheckpointCommitted;
import ablate.cluster.coordinator.CoordinatorEvent.NodeRegistered;
import ablate.cluster.coordinator.CoordinatorEvent.RunPlaced;
import ablate.cluster.coordinator.CoordinatorEvent.RunProgressed;
import ablate.cluster.coordinator.CoordinatorEvent.RunStateChanged;
import ablate.cluster.coordinator.CoordinatorEvent.RunSubmitted;
import ablate.cluster.protocol.ClusterMessage;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The coordinator's journaled state: every run (in submission order) and every trainer node ever
 * seen. Immutable; {@link #apply} is the event handler, and the snapshot is this record.
 */
public record CoordinatorState(Map<String, RunRecord> runs, Map<String, NodeRecord> nodes) implements ClusterMessage {
    public static final CoordinatorState EMPTY = new CoordinatorState(Map.of(), Map.of());

    /** A trainer node as first seen. */
    public record NodeRecord(String node, String host, String device, Instant firstSeen) implements ClusterMessage {}

    public CoordinatorState {
        runs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(runs));
        nodes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
    }

    CoordinatorState apply(CoordinatorEvent event) {
        return switch (event) {
            case RunSubmitted e -> withRun(RunRecord.submitted(e.name(), e.config(), e.steps(), e.microBatches(), e.dataParallel(), e.at()));
            case RunPlaced e -> withRun(runs.get(e.name()).placed(e.generation(), e.nodes(), e.at()));
            case RunProgressed e -> withRun(runs.get(e.name()).progressed(e.step(), e.loss(), e.valLoss(), e.tokensPerSecond(), e.mfu(), e.at()));
            case CheckpointCommitted e -> withRun(runs.get(e.name()).committed(e.step(), e.at()));
            case RunStateChanged e -> {
                RunRecord r = runs.get(e.name());
                yield withRun(r.withState(e.state(), e.reason(), r.restarts() + (e.restarted() ? 1 : 0), e.at()));
            }
            case CoordinatorEvent.RunEvaluated e -> this; // the figures live in the run folder's eval/ files; the journal keeps the record
            case NodeRegistered e -> {
                Map<String, NodeRecord> more = new LinkedHashMap<>(nodes);
                more.put(e.node(), new NodeRecord(e.node(), e.host(), e.device(), e.at()));
                yield new CoordinatorState(runs, more);
            }
        };
    }

    private CoordinatorState withRun(RunRecord run) {
        Map<String, RunRecord> more = new LinkedHashMap<>(runs);
        more.put(run.name(), run);
        return new CoordinatorState(more, nodes);
    }
}
