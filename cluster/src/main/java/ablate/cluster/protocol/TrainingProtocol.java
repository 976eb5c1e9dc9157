package ablate.cluster.protocol;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * What the coordinator's run supervisors and the trainer nodes say to each other. A run placed on
 * trainers is a group ({@link GroupId}: the run and a generation that grows with every placement,
 * so orders of an abandoned placement are recognized and ignored). The supervisor prepares every
 * rank (config, resume step), connects the ring, then grants steps a few at a time; the trainers
 * train up to the grant and report every step; at a checkpoint step it stops granting, has rank 0
 * write the checkpoint, and prunes older ones only after the coordinator committed it.
 */
public final class TrainingProtocol {
    /** Trainer nodes register their {@link ToTrainer} reference under this key. */
    public static final ServiceKey<ToTrainer> TRAINERS = ServiceKey.create(ToTrainer.class, "ablate-trainers");
    /** The coordinator singleton registers its {@link ToCoordinator} reference under this key. */
    public static final ServiceKey<ToCoordinator> COORDINATOR = ServiceKey.create(ToCoordinator.class, "ablate-coordinator");

    private TrainingProtocol() {}

    /** One placement of a run on a group of trainers. */
    public record GroupId(String run, long generation) implements ClusterMessage {
        @Override
        public String toString() {
            return run + "#" + generation;
        }
    }

    /** Orders to a trainer node. */
    public sealed interface ToTrainer extends ClusterMessage permits Prepare, Connect, Grant, WriteCheckpoint, Prune, Release, Halt,
            Regroup, Commit {}

    /**
     * Become rank {@code rank} of {@code ranks} for the run whose resolved config is {@code config},
     * restored from committed checkpoint {@code resumeStep} (0: a new run), and open a ring endpoint.
     * A trainer busy with another group abandons it first.
     */
    public record Prepare(GroupId group, String config, int rank, int ranks, long resumeStep, ActorRef<ToSupervisor> replyTo)
            implements ToTrainer {}

    /**
     * Join the group's collective: NCCL when {@code ncclId} is not empty (every rank is on a CUDA
     * device; rank 0 made the id), else the TCP ring, {@code ring.get(r)} being rank r's endpoint.
     */
    public record Connect(GroupId group, List<String> ring, byte[] ncclId) implements ToTrainer {}

    /** Train until the run has done {@code untilStep} steps (grants only grow). */
    public record Grant(GroupId group, long untilStep) implements ToTrainer {}

    /** Rank 0: write a checkpoint of step {@code step} (the trainers stand at it). */
    public record WriteCheckpoint(GroupId group, long step) implements ToTrainer {}

    /** Rank 0: the coordinator committed {@code committedStep}; delete checkpoints beyond checkpoint.keep. */
    public record Prune(GroupId group, long committedStep) implements ToTrainer {}

    /** Leave the group: stop training, free the model and the ring. */
    public record Release(GroupId group, String reason) implements ToTrainer {}

    /**
     * The group broke: stop the step in flight (it is not applied), drop the collective, keep the
     * replica, and say at which step it stands and the digest of its state.
     */
    public record Halt(GroupId group) implements ToTrainer {}

    /**
     * Carry the replica of group {@code from} over into group {@code to} as rank {@code rank} of
     * {@code ranks}, without reloading anything: a new ring endpoint, and the run folder's writer
     * when it becomes rank 0 (checkpoints after {@code committedStep} are set aside). Answered by
     * {@link Prepared} for {@code to}.
     */
    public record Regroup(GroupId from, GroupId to, int rank, int ranks, long committedStep, ActorRef<ToSupervisor> replyTo)
            implements ToTrainer {}

    /** Reports to the run supervisor that placed the group. */
    public sealed interface ToSupervisor extends ClusterMessage permits Prepared, Connected, StepDone, CheckpointWritten, TrainerFailed,
            Halted, Leaving, Reduced {}

    /**
     * Ready: the model is built (and restored) on {@code device}, the ring endpoint listens at
     * {@code ringAddress}; rank 0 on a CUDA device with NCCL also sends an ncclUniqueId (empty otherwise).
     * The replica stands after {@code step} steps with state digest {@code digest}: every rank of a
     * group must agree before it trains (a restored replica and one carried over from memory alike).
     */
    public record Prepared(GroupId group, int rank, String ringAddress, String device, byte[] ncclId, long step, long digest)
            implements ToSupervisor {}

    /** Joined the ring. */
    public record Connected(GroupId group, int rank) implements ToSupervisor {}

    /** Step {@code report.step()} is done on this rank; every rank reports the same loss. */
    public record StepDone(GroupId group, int rank, StepReport report) implements ToSupervisor {}

    /** Rank 0 wrote (and fsynced) checkpoint {@code step} into {@code dir}. */
    public record CheckpointWritten(GroupId group, long step, String dir) implements ToSupervisor {}

    /**
     * A rank failed. {@code retriable}: the group broke (a peer vanished, a deadline passed), so the
     * run may continue from its committed checkpoint on a new group; otherwise the run itself is
     * wrong (bad data, a non-finite loss) and would fail again.
     */
    public record TrainerFailed(GroupId group, int rank, String node, String error, boolean retriable) implements ToSupervisor {}

    /**
     * The trainer's node is shutting down (SIGTERM: a scheduler's preemption, systemd stop): the
     * group checkpoints at the step it stands at and goes on without this rank, which leaves once
     * {@link Release}d.
     */
    public record Leaving(GroupId group, int rank, String node, String reason) implements ToSupervisor {}

    /** A rank holds step {@code step}'s summed gradient and waits for its {@link Commit} before it applies the update. */
    public record Reduced(GroupId group, int rank, long step) implements ToSupervisor {}

    /** Every rank of the group holds the summed gradient of the steps up to {@code step}: apply them. */
    public record Commit(GroupId group, long step) implements ToTrainer {}

    /** After a {@link Halt}: the replica stands after {@code step} steps; {@code digest} hashes weights, optimizer and state. */
    public record Halted(GroupId group, int rank, long step, long digest) implements ToSupervisor {}

    /**
     * One step as a local run's metrics.jsonl line has it; val loss NaN when not measured.
     * {@code computePerMicroBatch}: this rank's forward and backward seconds per micro-batch it
     * computed (its own speed, without the wait for the group), what straggler detection compares.
     */
    public record StepReport(long step, double loss, double lr, double gradNorm, double tokensPerSecond, double mfu,
            double valLoss, boolean skipped, double seconds, double computePerMicroBatch) implements ClusterMessage {}

    /** What trainer nodes tell the coordinator on their own. */
    public sealed interface ToCoordinator extends ClusterMessage permits TrainerStatus {}

    /**
     * A trainer's heartbeat: who it is and what it does ({@code group} is null-free: the empty
     * string when idle).
     */
    public record TrainerStatus(ActorRef<ToTrainer> trainer, String node, String host, long pid, String device, String state,
            String group, long step) implements ToCoordinator {}
}
