package ablate.cluster.protocol;

import ablate.cluster.coordinator.Coordinator;
import ablate.cluster.coordinator.CoordinatorEvent;
import ablate.cluster.coordinator.CoordinatorState;
import ablate.cluster.coordinator.RunRecord;
import ablate.cluster.coordinator.RunState;
import ablate.cluster.coordinator.Views;
import java.util.List;

/**
 * The classes {@link KryoSerializer} accepts, in one list: the id of a class is its position here
 * plus {@link #FIRST_ID}, the same in every JVM that runs this build, so nodes agree without sending
 * class names (and no payload can make a node load a class by name).
 *
 * <p>To add your messages: append the concrete records (and the enums they hold) at the end of
 * {@link #CLASSES}. Records and enums only: a record is rebuilt through its canonical constructor,
 * so its compact constructor validates what arrives. Interfaces are not listed (a sealed
 * {@code Command} is fine as a field type; its records are what is listed).
 *
 * <p>Append only. The ids are written into the journal with every event and snapshot, so reordering
 * or removing an entry makes stored events unreadable; a record's components are written by name
 * order, so adding or renaming a component of a persisted event breaks old journals as well: add a
 * new record instead, and keep the old one listed. Nodes of different builds must have the same list.
 *
 * <p>Besides these, every node accepts: String, the primitives and their boxes, byte[], int[],
 * long[], float[], double[], boolean[], List, Set and Map (any implementation; read back as
 * unmodifiable, in the sender's iteration order; declare record components as List, Set or Map),
 * Instant, Duration, UUID, Path, and typed ActorRefs (written as their serialization format and
 * resolved in the receiving system). Tests add their own records with the config key
 * {@code cluster.kryo.extra-classes}.
 */
public final class Registrations {
    /** The id of {@code CLASSES.get(0)}; ids below are Kryo's own and {@link KryoFactory}'s built-in types. */
    public static final int FIRST_ID = 100;

    /** The id of the first class of {@code cluster.kryo.extra-classes}. */
    public static final int FIRST_EXTRA_ID = 10_000;

    /** Every message, event and snapshot record of ablate's actors, and the enums they use. Append only. */
    public static final List<Class<?>> CLASSES = List.of(
            // coordinator <-> trainers
            TrainingProtocol.GroupId.class,
            TrainingProtocol.Prepare.class,
            TrainingProtocol.Connect.class,
            TrainingProtocol.Grant.class,
            TrainingProtocol.WriteCheckpoint.class,
            TrainingProtocol.Prune.class,
            TrainingProtocol.Release.class,
            TrainingProtocol.Prepared.class,
            TrainingProtocol.Connected.class,
            TrainingProtocol.StepDone.class,
            TrainingProtocol.CheckpointWritten.class,
            TrainingProtocol.TrainerFailed.class,
            TrainingProtocol.StepReport.class,
            TrainingProtocol.TrainerStatus.class,
            // API -> coordinator, and answers
            Coordinator.Submit.class,
            Coordinator.GetRun.class,
            Coordinator.ListRuns.class,
            Coordinator.ListNodes.class,
            Coordinator.Action.class,
            Coordinator.Control.class,
            Views.RunView.class,
            Views.NodeView.class,
            Views.RunFound.class,
            Views.Refused.class,
            Views.RunsFound.class,
            Views.NodesFound.class,
            // the journal: events and snapshots
            RunState.class,
            RunRecord.class,
            CoordinatorState.class,
            CoordinatorState.NodeRecord.class,
            CoordinatorEvent.RunSubmitted.class,
            CoordinatorEvent.RunPlaced.class,
            CoordinatorEvent.RunProgressed.class,
            CoordinatorEvent.CheckpointCommitted.class,
            CoordinatorEvent.RunStateChanged.class,
            CoordinatorEvent.NodeRegistered.class,
            // recovery from memory (appended: ids above are stored in journals)
            TrainingProtocol.Halt.class,
            TrainingProtocol.Regroup.class,
            TrainingProtocol.Halted.class,
            // draining on SIGTERM (appended)
            TrainingProtocol.Leaving.class,
            // the two-phase step commit (appended)
            TrainingProtocol.Reduced.class,
            TrainingProtocol.Commit.class,
            // zero-shot evaluation on evaluator nodes (appended)
            CoordinatorEvent.RunEvaluated.class,
            EvaluationProtocol.JobId.class,
            EvaluationProtocol.ScoreBatch.class,
            EvaluationProtocol.Generate.class,
            EvaluationProtocol.BatchScored.class,
            EvaluationProtocol.Generated.class,
            EvaluationProtocol.WorkFailed.class,
            ablate.evaluator.scoring.TokenBatch.class,
            ablate.evaluator.scoring.TokenBatch.Row.class,
            ablate.evaluator.scoring.TokenBatch.Segment.class,
            ablate.evaluator.scoring.Request.Generate.class,
            ablate.evaluator.scoring.Response.LogLikelihood.class,
            ablate.evaluator.scoring.Response.Generated.class,
            // studies (appended)
            Coordinator.SubmitStudy.class,
            Coordinator.StudyRun.class,
            // encoder-decoders' planned batches (appended)
            ablate.evaluator.scoring.PairBatch.class,
            ablate.evaluator.scoring.PairBatch.Context.class,
            ablate.evaluator.scoring.PairBatch.Continuation.class);

    private Registrations() {}
}
