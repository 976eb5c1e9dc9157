package ablate.cluster.coordinator;

import ablate.cluster.node.TrainingSettings;
import ablate.cluster.protocol.TrainingProtocol.CheckpointWritten;
import ablate.cluster.protocol.TrainingProtocol.Connect;
import ablate.cluster.protocol.TrainingProtocol.Connected;
import ablate.cluster.protocol.TrainingProtocol.Grant;
import ablate.cluster.protocol.TrainingProtocol.GroupId;
import ablate.cluster.protocol.TrainingProtocol.Prepare;
import ablate.cluster.protocol.TrainingProtocol.Prepared;
import ablate.cluster.protocol.TrainingProtocol.Prune;
import ablate.cluster.protocol.TrainingProtocol.Release;
import ablate.cluster.protocol.TrainingProtocol.StepDone;
import ablate.cluster.protocol.TrainingProtocol.StepReport;
import ablate.cluster.protocol.TrainingProtocol.ToSupervisor;
import ablate.cluster.protocol.TrainingProtocol.ToTrainer;
import ablate.cluster.protocol.TrainingProtocol.TrainerFailed;
import ablate.cluster.protocol.TrainingProtocol.WriteCheckpoint;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.run.LoopPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Drives one placement of a run (a group): prepares every rank, connects the ring, grants steps a
 * few at a time, runs the checkpoint barrier (rank 0 writes, this actor verifies the manifest, the
 * coordinator commits, then rank 0 prunes) and ends the group when the run finishes, pauses,
 * is cancelled or breaks. Every wait has a deadline; a missed one ends the group naming the ranks
 * that did not answer. It holds no training math: what a step does is the trainers' business, and
 * when to validate or checkpoint is {@link LoopPolicy}'s.
 */
final class RunSupervisor extends AbstractBehavior<RunSupervisor.Command> {
    sealed interface Command {}

    private record FromTrainer(ToSupervisor message) implements Command {}

    /** From the coordinator: a user's request. */
    record Control(Coordinator.Action action) implements Command {}

    /** From the coordinator: the checkpoint is in the journal. */
    record Committed(long step) implements Command {}

    private record Verified(long step, Throwable error) implements Command {}

    private record Overdue(long token) implements Command {}

    private record TrainerGone(int rank) implements Command {}

    /** How a group ended. */
    enum Outcome { FINISHED, PAUSED, CANCELLED, FAILED, BROKEN }

    /** A trainer of the group, in rank order. */
    record Member(ActorRef<ToTrainer> trainer, String node) {}

    /** What the supervisor needs to know about its run. */
    record Plan(GroupId group, String config, LoopPolicy policy, long steps, long resumeStep, Path runDir) {}

    private enum Phase { PREPARING, CONNECTING, TRAINING, CHECKPOINTING }

    private final Plan plan;
    private final List<Member> members;
    private final TrainingSettings settings;
    private final ActorRef<Coordinator.Command> coordinator;
    private final TimerScheduler<Command> timers;
    private final ActorRef<ToSupervisor> self;
    private final String[] ringAddresses;
    private final String[] devices;
    private byte[] ncclId = new byte[0];
    private final boolean[] answered;
    private final long[] done;
    private final TreeMap<Long, Double> lossOf = new TreeMap<>();
    private Phase phase = Phase.PREPARING;
    private long granted;
    private long groupStep;
    private long stopAt;
    private Coordinator.Action pending;
    private long deadlineToken;
    private String awaiting = "";

    static Behavior<Command> create(Plan plan, List<Member> members, TrainingSettings settings, ActorRef<Coordinator.Command> coordinator) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RunSupervisor(ctx, timers, plan, members, settings, coordinator)));
    }

    private RunSupervisor(ActorContext<Command> ctx, TimerScheduler<Command> timers, Plan plan, List<Member> members,
            TrainingSettings settings, ActorRef<Coordinator.Command> coordinator) {
        super(ctx);
        this.plan = plan;
        this.members = List.copyOf(members);
        this.settings = settings;
        this.coordinator = coordinator;
        this.timers = timers;
        this.self = ctx.messageAdapter(ToSupervisor.class, FromTrainer::new);
        this.ringAddresses = new String[members.size()];
        this.devices = new String[members.size()];
        this.answered = new boolean[members.size()];
        this.done = new long[members.size()];
        Arrays.fill(done, plan.resumeStep());
        this.granted = plan.resumeStep();
        this.groupStep = plan.resumeStep();
        for (int r = 0; r < members.size(); r++) {
            ctx.watchWith(members.get(r).trainer(), new TrainerGone(r));
            members.get(r).trainer().tell(new Prepare(plan.group(), plan.config(), r, members.size(), plan.resumeStep(), self));
        }
        await("prepared", settings.prepareTimeout());
        ctx.getLog().info("group {} placed on {} (resuming from step {})", plan.group(),
                members.stream().map(Member::node).collect(Collectors.joining(", ")), plan.resumeStep());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessage(Command.class, this::on).build();
    }

    private Behavior<Command> on(Command command) {
        return switch (command) {
            case FromTrainer(ToSupervisor message) -> onTrainer(message);
            case Control(Coordinator.Action action) -> onControl(action);
            case Committed(long step) -> onCommitted(step);
            case Verified(long step, Throwable error) -> error == null
                    ? report(new Coordinator.CheckpointReady(plan.group(), step, getContext().getSelf()))
                    : end(Outcome.BROKEN, "checkpoint " + step + " does not verify on the coordinator: " + error.getMessage());
            case Overdue(long token) -> token != deadlineToken ? this : end(Outcome.BROKEN, "no answer within the deadline: waited for "
                    + awaiting + " from " + silentRanks());
            case TrainerGone(int rank) -> end(Outcome.BROKEN, "trainer " + members.get(rank).node() + " (rank " + rank + ") left the cluster");
        };
    }

    private Behavior<Command> onTrainer(ToSupervisor message) {
        switch (message) {
            case Prepared p when p.group().equals(plan.group()) && phase == Phase.PREPARING -> {
                ringAddresses[p.rank()] = p.ringAddress();
                devices[p.rank()] = p.device();
                if (p.rank() == 0) {
                    ncclId = p.ncclId();
                }
                answered[p.rank()] = true;
                if (all()) {
                    phase = Phase.CONNECTING;
                    // NCCL only when every rank is on a GPU (and rank 0 could make an id); else the TCP ring
                    boolean nccl = members.size() > 1 && ncclId.length > 0 && Arrays.stream(devices).allMatch(d -> d.startsWith("cuda"));
                    byte[] id = nccl ? ncclId : new byte[0];
                    members.forEach(m -> m.trainer().tell(new Connect(plan.group(), List.of(ringAddresses), id)));
                    await("ring connections", settings.connectTimeout());
                }
            }
            case Connected c when c.group().equals(plan.group()) && phase == Phase.CONNECTING -> {
                answered[c.rank()] = true;
                if (all()) {
                    phase = Phase.TRAINING;
                    stopAt = nextStop(plan.resumeStep());
                    await("step " + (plan.resumeStep() + 1), settings.stepTimeout());
                    grant();
                }
            }
            case StepDone s when s.group().equals(plan.group()) -> {
                return onStep(s.rank(), s.report());
            }
            case CheckpointWritten w when w.group().equals(plan.group()) && phase == Phase.CHECKPOINTING -> {
                Path dir = plan.runDir().resolve("checkpoints").resolve(String.format("step-%08d", w.step()));
                await("the checkpoint's verification", settings.checkpointTimeout());
                CompletableFuture<Void> verified = CompletableFuture.runAsync(() -> {
                    try {
                        new Checkpoint(dir, w.step()).verify();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
                getContext().pipeToSelf(verified, (ok, error) -> new Verified(w.step(), error == null ? null : error.getCause()));
            }
            case TrainerFailed f when f.group().equals(plan.group()) -> {
                return end(f.retriable() ? Outcome.BROKEN : Outcome.FAILED, "rank " + f.rank() + " on " + f.node() + ": " + f.error());
            }
            default -> getContext().getLog().debug("ignoring {} in phase {}", message, phase);
        }
        return this;
    }

    private Behavior<Command> onStep(int rank, StepReport report) {
        if (report.step() != done[rank] + 1) {
            return end(Outcome.BROKEN, "rank " + rank + " reported step " + report.step() + " after step " + done[rank]);
        }
        done[rank] = report.step();
        Double first = lossOf.putIfAbsent(report.step(), report.loss());
        if (first != null && Double.doubleToLongBits(first) != Double.doubleToLongBits(report.loss())) {
            return end(Outcome.FAILED, "replicas diverged at step " + report.step() + ": rank " + rank + " computed loss "
                    + report.loss() + ", another rank " + first + " (the group's trainers must have the same threads and libtorch)");
        }
        if (rank == 0) {
            coordinator.tell(new Coordinator.Progress(plan.group(), report));
        }
        long slowest = Arrays.stream(done).min().orElseThrow();
        lossOf.headMap(slowest, true).clear();
        if (slowest == groupStep) {
            return this; // the group's step is not complete yet
        }
        groupStep = slowest;
        await("step " + (slowest + 1), settings.stepTimeout());
        if (phase == Phase.TRAINING && slowest == stopAt) {
            checkpoint(slowest);
        } else if (phase == Phase.TRAINING) {
            grant();
        }
        return this;
    }

    /** Every rank stands at {@code step}: rank 0 writes it. */
    private void checkpoint(long step) {
        phase = Phase.CHECKPOINTING;
        members.getFirst().trainer().tell(new WriteCheckpoint(plan.group(), step));
        await("checkpoint " + step + " from rank 0", settings.checkpointTimeout());
    }

    private Behavior<Command> onControl(Coordinator.Action action) {
        if (action == Coordinator.Action.CANCEL) {
            return end(Outcome.CANCELLED, "cancelled");
        }
        boolean started = phase == Phase.TRAINING || phase == Phase.CHECKPOINTING;
        if (!started) {
            // nothing trained since the committed checkpoint: a pause needs no new one
            return action == Coordinator.Action.PAUSE ? end(Outcome.PAUSED, "paused before training resumed") : this;
        }
        if (pending != Coordinator.Action.PAUSE) {
            pending = action;
        }
        if (phase == Phase.TRAINING) {
            stopAt = Math.min(stopAt, granted); // steps already granted run; the group stops right after them
            if (groupStep == stopAt) {
                checkpoint(stopAt);
            }
        }
        return this;
    }

    private Behavior<Command> onCommitted(long step) {
        members.getFirst().trainer().tell(new Prune(plan.group(), step));
        if (step >= plan.steps()) {
            return end(Outcome.FINISHED, "");
        }
        if (pending == Coordinator.Action.PAUSE) {
            return end(Outcome.PAUSED, "paused at step " + step);
        }
        pending = null;
        phase = Phase.TRAINING;
        stopAt = nextStop(step);
        await("step " + (step + 1), settings.stepTimeout());
        grant();
        return this;
    }

    /** The next step after {@code from} at which the group stops for a checkpoint. */
    private long nextStop(long from) {
        for (long s = from + 1; s < plan.steps(); s++) {
            if (plan.policy().checkpointsAfter(s)) {
                return s;
            }
        }
        return plan.steps();
    }

    /** Grants up to grant-ahead steps beyond the slowest rank, never past the next stop. */
    private void grant() {
        long slowest = Arrays.stream(done).min().orElseThrow();
        long next = Math.min(slowest + settings.grantAhead(), stopAt);
        if (next > granted) {
            granted = next;
            members.forEach(m -> m.trainer().tell(new Grant(plan.group(), granted)));
        }
    }

    private Behavior<Command> report(Coordinator.Command message) {
        coordinator.tell(message);
        await("the coordinator's journal", settings.checkpointTimeout());
        return this;
    }

    /** Releases every trainer and tells the coordinator how the group ended. */
    private Behavior<Command> end(Outcome outcome, String reason) {
        timers.cancelAll();
        if (outcome == Outcome.BROKEN || outcome == Outcome.FAILED) {
            getContext().getLog().error("group {} {}: {}", plan.group(), outcome == Outcome.FAILED ? "failed" : "broke", reason);
        }
        for (Member m : members) {
            m.trainer().tell(new Release(plan.group(), outcome.name().toLowerCase() + (reason.isEmpty() ? "" : ": " + reason)));
        }
        coordinator.tell(new Coordinator.GroupEnded(plan.group(), outcome, reason));
        return Behaviors.stopped();
    }

    /** Starts waiting for every rank's answer (or for an event) with a deadline. */
    private void await(String what, Duration within) {
        Arrays.fill(answered, false);
        awaiting = what;
        deadlineToken++;
        timers.startSingleTimer(Overdue.class, new Overdue(deadlineToken), within);
    }

    private boolean all() {
        for (boolean a : answered) {
            if (!a) {
                return false;
            }
        }
        return true;
    }

    /** The ranks that have not answered what is awaited, with their nodes. */
    private String silentRanks() {
        List<String> silent = new ArrayList<>();
        for (int r = 0; r < members.size(); r++) {
            boolean behind = phase == Phase.TRAINING ? done[r] <= Arrays.stream(done).min().orElseThrow() : !answered[r];
            if (behind) {
                silent.add("rank " + r + " (" + members.get(r).node() + ", at step " + done[r] + ")");
            }
        }
        return silent.isEmpty() ? "the coordinator" : String.join(", ", silent);
    }
}
