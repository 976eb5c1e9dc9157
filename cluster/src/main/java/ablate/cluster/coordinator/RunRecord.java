package ablate.cluster.coordinator;

import ablate.cluster.protocol.ClusterMessage;
import java.time.Instant;
import java.util.List;

/**
 * What the coordinator's journal knows about a run.
 *
 * @param config the resolved run config (HOCON), as written to RUN_DIR/config.conf
 * @param microBatches micro-batches per step: the most trainers the run can use
 * @param dataParallel trainers asked for; 0 = auto
 * @param step the last step reported (persisted at checkpoints and at the end)
 * @param committedStep the newest checkpoint committed; a run resumes only from it
 * @param generation placements so far; the current group is (name, generation)
 * @param nodes the trainers of the current or last placement, rank order
 * @param restarts placements after a broken group, counted against max-restarts
 * @param error why the run failed or was stopped; empty otherwise
 */
public record RunRecord(String name, String config, long steps, int microBatches, int dataParallel, RunState state, long step,
        long committedStep, double loss, double valLoss, double tokensPerSecond, double mfu, long generation, List<String> nodes,
        int restarts, String error, Instant submitted, Instant updated) implements ClusterMessage {
    public RunRecord {
        nodes = List.copyOf(nodes);
    }

    static RunRecord submitted(String name, String config, long steps, int microBatches, int dataParallel, Instant at) {
        return new RunRecord(name, config, steps, microBatches, dataParallel, RunState.QUEUED, 0, 0, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, 0, List.of(), 0, "", at, at);
    }

    RunRecord withState(RunState next, String reason, int restartsAfter, Instant at) {
        return new RunRecord(name, config, steps, microBatches, dataParallel, next, step, committedStep, loss, valLoss,
                tokensPerSecond, mfu, generation, nodes, restartsAfter, reason, submitted, at);
    }

    RunRecord placed(long newGeneration, List<String> onNodes, Instant at) {
        return new RunRecord(name, config, steps, microBatches, dataParallel, RunState.RUNNING, step, committedStep, loss, valLoss,
                tokensPerSecond, mfu, newGeneration, onNodes, restarts, "", submitted, at);
    }

    RunRecord progressed(long atStep, double newLoss, double newValLoss, double speed, double newMfu, Instant at) {
        return new RunRecord(name, config, steps, microBatches, dataParallel, state, atStep, committedStep, newLoss,
                Double.isNaN(newValLoss) ? valLoss : newValLoss, speed, newMfu, generation, nodes, restarts, error, submitted, at);
    }

    RunRecord committed(long checkpointStep, Instant at) {
        return new RunRecord(name, config, steps, microBatches, dataParallel, state, Math.max(step, checkpointStep), checkpointStep,
                loss, valLoss, tokensPerSecond, mfu, generation, nodes, restarts, error, submitted, at);
    }
}
