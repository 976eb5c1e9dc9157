package ablate.cluster.coordinator;

import ablate.cluster.node.TrainingSettings;
import ablate.cluster.protocol.TrainingProtocol.CheckpointWritten;
import ablate.cluster.protocol.TrainingProtocol.Connect;
import ablate.cluster.protocol.TrainingProtocol.Commit;
import ablate.cluster.protocol.TrainingProtocol.Connected;
import ablate.cluster.protocol.TrainingProtocol.Grant;
import ablate.cluster.protocol.TrainingProtocol.GroupId;
import ablate.cluster.protocol.TrainingProtocol.Halt;
import ablate.cluster.protocol.TrainingProtocol.Halted;
import ablate.cluster.protocol.TrainingProtocol.Leaving;
import ablate.cluster.protocol.TrainingProtocol.Prepare;
import ablate.cluster.protocol.TrainingProtocol.Prepared;
import ablate.cluster.protocol.TrainingProtocol.Prune;
import ablate.cluster.protocol.TrainingProtocol.Reduced;
import ablate.cluster.protocol.TrainingProtocol.Regroup;
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
import java.util.TreeSet;
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
 * Drives one run on a group of trainers: prepares every rank, connects the ring, grants steps a
 * few at a time, runs the checkpoint barrier (rank 0 writes, this actor verifies the manifest, the
 * coordinator commits, then rank 0 prunes) and ends when the run finishes, pauses or is cancelled.
 *
 * <p>When the group breaks (a trainer dies or leaves, a collective or a deadline fails) it
 * recovers from memory, as TorchFT does: every surviving rank is halted (the step in flight is
 * not applied anywhere) and reports its step and state digest; when they agree, the survivors go
 * on from that step as a new group (a new generation) without reloading anything, and, because
 * the sum over micro-batches does not depend on the number of ranks, with exactly the numbers the
 * undisturbed run would have computed. Only when no consistent survivor state exists does the run
 * end as broken, to be placed again from its last committed checkpoint. Every wait has a deadline.
 * No training math here: what a step does is the trainers' business, when to checkpoint is
 * {@link LoopPolicy}'s.
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

    /** A probe of a halted rank's node: {@code gone} when its port refused the connection (the process is dead). */
    private record Probed(GroupId group, ActorRef<ToTrainer> trainer, boolean gone, int attempt) implements Command {}

    /** Probe again: a process being killed may still accept for a moment while its sockets close. */
    private record Reprobe(GroupId group, ActorRef<ToTrainer> trainer, int attempt) implements Command {}

    private static final int PROBES = 10;
    private static final Duration PROBE_EVERY = Duration.ofMillis(200);

    private record TrainerGone(ActorRef<ToTrainer> trainer) implements Command {}

    /** From the coordinator: the failure detector flagged a trainer's node; it is left behind like a dead one. */
    record Unreachable(ActorRef<ToTrainer> trainer) implements Command {}

    /** From the coordinator, asked at a checkpoint barrier: free trainers that join the group (none: it stays as it is). */
    record Joiners(GroupId group, List<Member> trainers) implements Command {}

    /** How a run's supervision ended. */
    /** How a run's supervision ended; PREEMPTED: every trainer drained (SIGTERM), the run waits queued from the checkpoint just written. */
    enum Outcome { FINISHED, PAUSED, CANCELLED, FAILED, BROKEN, PREEMPTED }

    /** A trainer of the group, in rank order. */
    record Member(ActorRef<ToTrainer> trainer, String node) {}

    /**
     * What the supervisor needs to know about its run; {@code wanted}: the trainers it would use
     * (cluster.data-parallel, or with auto one per micro-batch), which a smaller group grows back to.
     */
    record Plan(GroupId group, String config, LoopPolicy policy, long steps, long resumeStep, Path runDir, int wanted) {}

    private enum Phase { PREPARING, CONNECTING, TRAINING, CHECKPOINTING, GROWING, HALTING }

    private final Plan plan;
    private final TrainingSettings settings;
    private final ActorRef<Coordinator.Command> coordinator;
    private final TimerScheduler<Command> timers;
    private final ActorRef<ToSupervisor> self;
    private GroupId group;
    private List<Member> members;
    private String[] ringAddresses;
    private String[] devices;
    private boolean[] answered;
    private long[] done;
    private byte[] ncclId = new byte[0];
    private final TreeMap<Long, Double> lossOf = new TreeMap<>();
    private final TreeMap<Long, double[]> computeOf = new TreeMap<>();
    /** Per step in flight, the ranks that hold its summed gradient; all of them: the step is committed. */
    private final TreeMap<Long, boolean[]> reducedOf = new TreeMap<>();
    private int[] slowSteps;
    private long[] standings;
    private final TreeMap<Integer, Halted> halted = new TreeMap<>();
    private final TreeSet<Integer> lost = new TreeSet<>();
    /** Ranks whose nodes are shutting down: the group checkpoints, then goes on without them. */
    private final TreeMap<Integer, String> draining = new TreeMap<>();
    private long killSwitchChecked;
    private Phase phase = Phase.PREPARING;
    private boolean replicasBuilt;
    private long committed;
    private long startStep;
    private long writing = -1;
    private boolean checkpointFirst;
    private long granted;
    private long groupStep;
    private long stopAt;
    private Coordinator.Action pending;
    private String brokenBecause = "";
    private long deadlineToken;
    private String awaiting = "";

    static Behavior<Command> create(Plan plan, List<Member> members, TrainingSettings settings, ActorRef<Coordinator.Command> coordinator) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RunSupervisor(ctx, timers, plan, members, settings, coordinator)));
    }

    private RunSupervisor(ActorContext<Command> ctx, TimerScheduler<Command> timers, Plan plan, List<Member> members,
            TrainingSettings settings, ActorRef<Coordinator.Command> coordinator) {
        super(ctx);
        this.plan = plan;
        this.settings = settings;
        this.coordinator = coordinator;
        this.timers = timers;
        this.self = ctx.messageAdapter(ToSupervisor.class, FromTrainer::new);
        this.group = plan.group();
        this.committed = plan.resumeStep();
        start(members, plan.resumeStep());
        for (int r = 0; r < members.size(); r++) {
            ctx.watchWith(members.get(r).trainer(), new TrainerGone(members.get(r).trainer()));
            members.get(r).trainer().tell(new Prepare(group, plan.config(), r, members.size(), plan.resumeStep(), self));
        }
        await("prepared", settings.prepareTimeout());
        ctx.getLog().info("group {} placed on {} (resuming from step {})", group, nodes(), plan.resumeStep());
    }

    /** The bookkeeping of a group of {@code next} that starts after {@code step} steps. */
    private void start(List<Member> next, long step) {
        members = List.copyOf(next);
        ringAddresses = new String[members.size()];
        devices = new String[members.size()];
        answered = new boolean[members.size()];
        done = new long[members.size()];
        slowSteps = new int[members.size()];
        standings = new long[members.size() * 2];
        computeOf.clear();
        reducedOf.clear();
        Arrays.fill(done, step);
        startStep = step;
        granted = step;
        groupStep = step;
        lossOf.clear();
        phase = Phase.PREPARING;
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
                    ? report(new Coordinator.CheckpointReady(group, step, getContext().getSelf()))
                    : recover("checkpoint " + step + " does not verify on the coordinator: " + error.getMessage());
            case Overdue(long token) -> token != deadlineToken ? this : onOverdue();
            case Reprobe(GroupId g, ActorRef<ToTrainer> trainer, int attempt) -> {
                if (awaitsHalt(g, rankOf(trainer))) {
                    probe(members.get(rankOf(trainer)), attempt);
                }
                yield this;
            }
            case Probed(GroupId g, ActorRef<ToTrainer> trainer, boolean gone, int attempt) -> {
                int rank = rankOf(trainer);
                if (!gone && awaitsHalt(g, rank) && attempt + 1 < PROBES) {
                    timers.startSingleTimer("probe-" + rank, new Reprobe(g, trainer, attempt + 1), PROBE_EVERY);
                }
                if (gone && g.equals(group) && phase == Phase.HALTING && rank >= 0) {
                    String node = members.get(rank).node();
                    getContext().getLog().info("group {}: the node of {} refuses connections: its process is gone", group, node);
                    coordinator.tell(new Coordinator.ProcessGone(node));
                    yield onGone(trainer);
                }
                yield this;
            }
            case TrainerGone(ActorRef<ToTrainer> trainer) -> onGone(trainer);
            case Unreachable(ActorRef<ToTrainer> trainer) -> onGone(trainer);
            case Joiners(GroupId g, List<Member> joiners) -> !g.equals(group) || phase != Phase.GROWING
                    ? this : joiners.isEmpty() ? train(groupStep) : grow(joiners);
        };
    }

    private Behavior<Command> onTrainer(ToSupervisor message) {
        switch (message) {
            case Prepared p when p.group().equals(group) && phase == Phase.PREPARING -> {
                ringAddresses[p.rank()] = p.ringAddress();
                devices[p.rank()] = p.device();
                if (p.rank() == 0) {
                    ncclId = p.ncclId();
                }
                standings[2 * p.rank()] = p.step();
                standings[2 * p.rank() + 1] = p.digest();
                answered[p.rank()] = true;
                if (all()) {
                    String disagreement = disagreement();
                    if (disagreement != null) {
                        return end(Outcome.BROKEN, disagreement);
                    }
                    replicasBuilt = true;
                    phase = Phase.CONNECTING;
                    // NCCL only when every rank is on a GPU (and rank 0 could make an id); else the TCP ring
                    boolean nccl = members.size() > 1 && ncclId.length > 0 && Arrays.stream(devices).allMatch(d -> d.startsWith("cuda"));
                    byte[] id = nccl ? ncclId : new byte[0];
                    members.forEach(m -> m.trainer().tell(new Connect(group, List.of(ringAddresses), id)));
                    await("ring connections", settings.connectTimeout());
                }
            }
            case Connected c when c.group().equals(group) && phase == Phase.CONNECTING -> {
                answered[c.rank()] = true;
                if (all()) {
                    phase = Phase.TRAINING;
                    getContext().getLog().info("group {} connected on {} trainers; training from step {}", group, members.size(), startStep);
                    await("step " + (startStep + 1), settings.stepTimeout());
                    if (checkpointFirst) {
                        checkpointFirst = false;
                        checkpoint(startStep); // the checkpoint the broken group was writing, written again
                    } else {
                        stopAt = nextStop(startStep);
                        grant();
                    }
                }
            }
            case StepDone s when s.group().equals(group) && (phase == Phase.TRAINING || phase == Phase.CHECKPOINTING) -> {
                return onStep(s.rank(), s.report());
            }
            case CheckpointWritten w when w.group().equals(group) && phase == Phase.CHECKPOINTING -> {
                Path dir = new ablate.trainer.run.RunDirectory(plan.runDir()).checkpoint(w.step());
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
            case Halted h when h.group().equals(group) && phase == Phase.HALTING -> {
                halted.put(h.rank(), h);
                if (halted.size() + lost.size() >= members.size()) {
                    return regroup();
                }
            }
            case Reduced r when r.group().equals(group) && (phase == Phase.TRAINING || phase == Phase.CHECKPOINTING) -> {
                boolean[] ranks = reducedOf.computeIfAbsent(r.step(), s -> new boolean[members.size()]);
                ranks[r.rank()] = true;
                if (allOf(ranks)) {
                    // to every rank at once, and never once halting began: all survivors apply it, or none
                    reducedOf.headMap(r.step(), true).clear();
                    members.forEach(m -> m.trainer().tell(new Commit(group, r.step())));
                }
            }
            case Leaving l when l.group().equals(group) -> {
                return onLeaving(l);
            }
            case TrainerFailed f when f.group().equals(group) && phase != Phase.HALTING -> {
                String why = "rank " + f.rank() + " on " + f.node() + ": " + f.error();
                return f.retriable() ? recover(why) : end(Outcome.FAILED, why);
            }
            default -> getContext().getLog().debug("ignoring {} in phase {}", message, phase);
        }
        return this;
    }

    /** Null when every rank stands at the group's first step with the same state; else what differs. */
    private String disagreement() {
        for (int r = 0; r < members.size(); r++) {
            if (standings[2 * r] != startStep || standings[2 * r + 1] != standings[1]) {
                return "the replicas of group " + group + " do not agree before training: rank " + r + " on " + members.get(r).node()
                        + " stands at step " + standings[2 * r] + (standings[2 * r + 1] != standings[1] ? " with other weights or state" : "")
                        + ", rank 0 at step " + standings[0] + ", the group starts after step " + startStep;
            }
        }
        return null;
    }

    private Behavior<Command> onStep(int rank, StepReport report) {
        if (report.step() != done[rank] + 1) {
            return recover("rank " + rank + " reported step " + report.step() + " after step " + done[rank]);
        }
        done[rank] = report.step();
        computeOf.computeIfAbsent(report.step(), s -> new double[members.size()])[rank] = report.computePerMicroBatch();
        Double first = lossOf.putIfAbsent(report.step(), report.loss());
        if (first != null && Double.doubleToLongBits(first) != Double.doubleToLongBits(report.loss())) {
            return end(Outcome.FAILED, "replicas diverged at step " + report.step() + ": rank " + rank + " computed loss "
                    + report.loss() + ", another rank " + first + " (the group's trainers must have the same threads and libtorch)");
        }
        if (rank == 0) {
            coordinator.tell(new Coordinator.Progress(group, report));
        }
        long slowest = Arrays.stream(done).min().orElseThrow();
        lossOf.headMap(slowest, true).clear();
        if (slowest == groupStep) {
            return this; // the group's step is not complete yet
        }
        groupStep = slowest;
        if (phase == Phase.TRAINING && killSwitchThrown()) {
            onControl(Coordinator.Action.PAUSE);
            if (phase != Phase.TRAINING) {
                return this; // checkpointing for the pause
            }
        }
        double[] compute = computeOf.remove(slowest);
        computeOf.headMap(slowest, true).clear();
        Integer straggler = compute == null ? null : stragglers(compute);
        if (straggler != null) {
            lost.add(straggler);
            return recover("rank " + straggler + " on " + members.get(straggler).node() + " is a straggler, left behind "
                    + "(cluster.training.exclude-stragglers)");
        }
        await("step " + (slowest + 1), settings.stepTimeout());
        if (phase == Phase.TRAINING && slowest == stopAt) {
            checkpoint(slowest);
        } else if (phase == Phase.TRAINING) {
            grant();
        }
        return this;
    }

    /**
     * Counts, per rank, the steps in a row its compute per micro-batch exceeded straggler-factor
     * times the median of the other ranks; reports a rank to the coordinator when the count reaches
     * straggler-steps, and when it recovers. Returns the rank to leave behind when stragglers are excluded.
     */
    private Integer stragglers(double[] compute) {
        if (members.size() < 2) {
            return null;
        }
        for (int r = 0; r < members.size(); r++) {
            double[] others = new double[members.size() - 1];
            for (int o = 0, i = 0; o < members.size(); o++) {
                if (o != r) {
                    others[i++] = compute[o];
                }
            }
            Arrays.sort(others);
            double median = others.length % 2 == 1 ? others[others.length / 2]
                    : (others[others.length / 2 - 1] + others[others.length / 2]) / 2;
            double ratio = compute[r] / median;
            if (ratio > settings.stragglerFactor()) {
                slowSteps[r]++;
                if (slowSteps[r] == settings.stragglerSteps()) {
                    getContext().getLog().warn("group {}: rank {} on {} is a straggler: {}x the others' median compute per micro-batch "
                            + "for {} steps in a row{}", group, r, members.get(r).node(), String.format("%.2f", ratio),
                            settings.stragglerSteps(), settings.excludeStragglers() ? "; leaving it behind" : "");
                    coordinator.tell(new Coordinator.Straggling(group, members.get(r).node(), r, ratio, settings.excludeStragglers()));
                    if (settings.excludeStragglers()) {
                        return r;
                    }
                }
            } else {
                if (slowSteps[r] >= settings.stragglerSteps()) {
                    getContext().getLog().info("group {}: rank {} on {} keeps pace again", group, r, members.get(r).node());
                    coordinator.tell(new Coordinator.Straggling(group, members.get(r).node(), r, Double.NaN, false));
                }
                slowSteps[r] = 0;
            }
        }
        return null;
    }

    /**
     * A rank's node is shutting down (SIGTERM): no new steps are granted, the group checkpoints at
     * the step it reaches, and then goes on from memory without the rank (its node leaves once
     * released). Before the replicas exist, or while the group recovers, it is simply left behind.
     */
    private Behavior<Command> onLeaving(Leaving l) {
        String why = "rank " + l.rank() + " on " + l.node() + " drains (" + l.reason() + ")";
        getContext().getLog().info("group {}: {}", group, why);
        switch (phase) {
            case TRAINING -> {
                draining.put(l.rank(), why);
                stopAt = Math.min(stopAt, granted);
                if (groupStep == stopAt) {
                    checkpoint(stopAt);
                }
                return this;
            }
            case CHECKPOINTING -> {
                draining.put(l.rank(), why);
                return this;
            }
            case HALTING -> {
                lost.add(l.rank());
                return halted.size() + lost.size() >= members.size() ? regroup() : this;
            }
            default -> {
                lost.add(l.rank());
                return recover(why);
            }
        }
    }

    /** Whether the run folder's kill switch exists (looked for at most once a second); removes it when it does. */
    private boolean killSwitchThrown() {
        long now = System.nanoTime();
        if (now - killSwitchChecked < 1_000_000_000L) {
            return false;
        }
        killSwitchChecked = now;
        Path file = plan.runDir().resolve(settings.killSwitch());
        if (!java.nio.file.Files.exists(file)) {
            return false;
        }
        try {
            java.nio.file.Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            getContext().getLog().warn("group {}: cannot remove the kill switch {}: {}", group, file, e.toString());
        }
        getContext().getLog().warn("group {}: kill switch {} found at step {}: checkpointing and pausing", group, file, groupStep);
        return true;
    }

    /** Every rank stands at {@code step}: rank 0 writes it. */
    private void checkpoint(long step) {
        phase = Phase.CHECKPOINTING;
        writing = step;
        members.getFirst().trainer().tell(new WriteCheckpoint(group, step));
        await("checkpoint " + step + " from rank 0", settings.checkpointTimeout());
    }

    private Behavior<Command> onControl(Coordinator.Action action) {
        if (action == Coordinator.Action.CANCEL) {
            return end(Outcome.CANCELLED, "cancelled");
        }
        if (!replicasBuilt) {
            // nothing trained since the committed checkpoint: a pause needs no new one
            return action == Coordinator.Action.PAUSE ? end(Outcome.PAUSED, "paused before training resumed") : this;
        }
        if (pending != Coordinator.Action.PAUSE) {
            pending = action;
        }
        if (phase == Phase.TRAINING && !draining.isEmpty()) {
            return this; // already stopping for a checkpoint
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
        committed = Math.max(committed, step);
        if (writing == step) {
            writing = -1;
        }
        if (phase != Phase.CHECKPOINTING) {
            return this; // committed while the group was recovering: the regroup knows the new committed step
        }
        members.getFirst().trainer().tell(new Prune(group, step));
        if (step >= plan.steps()) {
            return end(Outcome.FINISHED, "");
        }
        if (pending == Coordinator.Action.PAUSE) {
            return end(Outcome.PAUSED, "paused at step " + step);
        }
        pending = null;
        if (!draining.isEmpty()) {
            String why = String.join("; ", draining.values()) + "; checkpointed at step " + step;
            lost.addAll(draining.keySet());
            draining.clear();
            return lost.size() >= members.size() ? end(Outcome.PREEMPTED, why + "; every trainer drained, queued to resume") : recover(why);
        }
        if (settings.grow() && members.size() < plan.wanted()) {
            phase = Phase.GROWING;
            coordinator.tell(new Coordinator.OfferTrainers(group, plan.wanted() - members.size(), getContext().getSelf()));
            await("free trainers from the coordinator", settings.askTimeout());
            return this;
        }
        return train(step);
    }

    /** The group stands at {@code step} with nothing to do first: grant the next steps. */
    private Behavior<Command> train(long step) {
        phase = Phase.TRAINING;
        stopAt = nextStop(step);
        await("step " + (step + 1), settings.stepTimeout());
        grant();
        return this;
    }

    /**
     * At a checkpoint barrier, free trainers join: the members carry their replicas over into the
     * new group (same ranks), the joiners restore the checkpoint just committed, and every rank's
     * step and state digest must agree before the group trains on.
     */
    private Behavior<Command> grow(List<Member> joiners) {
        GroupId from = group;
        GroupId to = new GroupId(group.run(), group.generation() + 1);
        long step = groupStep;
        List<Member> next = new ArrayList<>(members);
        next.addAll(joiners);
        String why = joiners.size() + " trainer" + (joiners.size() == 1 ? "" : "s") + " joined at the checkpoint of step " + step + " ("
                + joiners.stream().map(Member::node).collect(Collectors.joining(", ")) + ")";
        getContext().getLog().info("group {} grows to {} trainers as {}: {}", from, next.size(), to, why);
        coordinator.tell(new Coordinator.Regrouped(from, to, next.stream().map(Member::trainer).toList(),
                next.stream().map(Member::node).toList(), step, why));
        group = to;
        int before = members.size();
        start(next, step);
        for (int r = 0; r < next.size(); r++) {
            Member m = next.get(r);
            if (r < before) {
                m.trainer().tell(new Regroup(from, to, r, next.size(), committed, self));
            } else {
                getContext().watchWith(m.trainer(), new TrainerGone(m.trainer()));
                m.trainer().tell(new Prepare(to, plan.config(), r, next.size(), committed, self));
            }
        }
        await("prepared", settings.prepareTimeout());
        return this;
    }

    /** A deadline passed: before the replicas exist the placement failed; after, the group recovers without the silent ranks. */
    private Behavior<Command> onOverdue() {
        if (phase == Phase.GROWING) {
            getContext().getLog().warn("group {}: the coordinator offered no trainers within {}; going on as it is", group,
                    settings.askTimeout());
            return train(groupStep);
        }
        String why = "no answer within the deadline: waited for " + awaiting + " from " + silentRanks();
        if (phase == Phase.HALTING) {
            for (int r = 0; r < members.size(); r++) {
                if (!halted.containsKey(r)) {
                    lost.add(r);
                }
            }
            brokenBecause += "; " + why;
            return regroup();
        }
        return recover(why);
    }

    private Behavior<Command> onGone(ActorRef<ToTrainer> trainer) {
        int rank = rankOf(trainer);
        if (rank < 0 || lost.contains(rank)) {
            return this; // left behind by an earlier regroup, or already known
        }
        lost.add(rank);
        String why = "trainer " + members.get(rank).node() + " (rank " + rank + ") left the cluster";
        if (phase == Phase.HALTING) {
            return halted.size() + lost.size() >= members.size() ? regroup() : this;
        }
        return recover(why);
    }

    /**
     * The group broke: halts every rank still there, which stop the step in flight (it is applied
     * nowhere) and report where they stand. Before the replicas exist there is nothing to recover.
     */
    private Behavior<Command> recover(String why) {
        if (!replicasBuilt) {
            return end(Outcome.BROKEN, why);
        }
        getContext().getLog().warn("group {} broke ({}); halting the survivors to go on from memory", group, why);
        brokenBecause = why;
        checkpointFirst = writing >= 0 && writing > committed;
        phase = Phase.HALTING;
        halted.clear();
        for (int r = 0; r < members.size(); r++) {
            if (!lost.contains(r)) {
                members.get(r).trainer().tell(new Halt(group));
            }
        }
        await("the survivors' halt", settings.haltTimeout());
        for (int r = 0; r < members.size(); r++) {
            if (!lost.contains(r)) {
                probe(members.get(r), 0);
            }
        }
        return lost.size() >= members.size() ? regroup() : this;
    }

    /**
     * The fast death signal: a trainer whose process died (SIGKILL, OOM) on a host that is up has
     * its node's port closed, so a TCP connect is refused at once, seconds before the failure
     * detector flags the node. A live node accepts (the probe sends nothing and closes); a host that
     * is down does not answer within a second, and the failure detector decides. A rank that has not
     * answered the halt is probed up to ten times, 200 ms apart: a process being killed may still
     * accept for a moment while the kernel closes its sockets.
     */
    private void probe(Member member, int attempt) {
        GroupId probing = group;
        String node = member.node().replaceFirst("^[a-z]+://[^@]*@", "");
        int colon = node.lastIndexOf(':');
        if (colon < 0) {
            return;
        }
        String host = node.substring(0, colon).replaceAll("^\\[|]$", "");
        int port;
        try {
            port = Integer.parseInt(node.substring(colon + 1));
        } catch (NumberFormatException e) {
            return;
        }
        CompletableFuture<Boolean> refused = CompletableFuture.supplyAsync(() -> {
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(host, port), 1000);
                return false;
            } catch (java.net.ConnectException e) {
                return true; // refused: nothing listens there any more
            } catch (java.io.IOException e) {
                return false; // a timeout or another error proves nothing
            }
        }, getContext().getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
        getContext().pipeToSelf(refused, (gone, error) -> new Probed(probing, member.trainer(), error == null && gone, attempt));
    }

    /**
     * The survivors' answers are in: when they stand at the same step with the same state digest,
     * they go on as a new group from that step; otherwise the run falls back to its committed checkpoint.
     */
    private Behavior<Command> regroup() {
        List<Integer> survivors = new ArrayList<>(halted.keySet());
        survivors.removeAll(lost);
        if (survivors.isEmpty()) {
            return end(Outcome.BROKEN, brokenBecause + "; no trainer survived to go on from memory");
        }
        Halted first = halted.get(survivors.getFirst());
        for (int r : survivors) {
            Halted h = halted.get(r);
            if (h.step() != first.step() || h.digest() != first.digest()) {
                return end(Outcome.BROKEN, brokenBecause + "; the survivors do not agree (rank " + first.rank() + " at step "
                        + first.step() + ", rank " + h.rank() + " at step " + h.step() + (h.digest() != first.digest() ? ", other state" : "")
                        + "): back to the committed checkpoint");
            }
        }
        GroupId from = group;
        GroupId to = new GroupId(group.run(), group.generation() + 1);
        List<Member> next = survivors.stream().map(members::get).toList();
        for (int r : lost) {
            members.get(r).trainer().tell(new Release(from, "left behind: " + brokenBecause));
        }
        getContext().getLog().info("group {} goes on from memory at step {} as {} on {} of its {} trainers", from, first.step(), to,
                next.size(), members.size());
        coordinator.tell(new Coordinator.Regrouped(from, to, next.stream().map(Member::trainer).toList(),
                next.stream().map(Member::node).toList(), first.step(), brokenBecause));
        group = to;
        start(next, first.step());
        lost.clear();
        halted.clear();
        for (int r = 0; r < members.size(); r++) {
            members.get(r).trainer().tell(new Regroup(from, to, r, members.size(), committed, self));
        }
        await("the regrouped ranks", settings.prepareTimeout());
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
            members.forEach(m -> m.trainer().tell(new Grant(group, granted)));
        }
    }

    private Behavior<Command> report(Coordinator.Command message) {
        coordinator.tell(message);
        await("the coordinator's journal", settings.checkpointTimeout());
        return this;
    }

    /** Releases every trainer and tells the coordinator how the run's supervision ended. */
    private Behavior<Command> end(Outcome outcome, String reason) {
        timers.cancelAll();
        if (outcome == Outcome.BROKEN || outcome == Outcome.FAILED) {
            getContext().getLog().error("group {} {}: {}", group, outcome == Outcome.FAILED ? "failed" : "broke", reason);
        }
        for (Member m : members) {
            m.trainer().tell(new Release(group, outcome.name().toLowerCase() + (reason.isEmpty() ? "" : ": " + reason)));
        }
        coordinator.tell(new Coordinator.GroupEnded(group, outcome, reason));
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
        return allOf(answered);
    }

    private static boolean allOf(boolean[] flags) {
        for (boolean f : flags) {
            if (!f) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code rank} of group {@code g} is one the halt still waits for (neither answered nor left behind). */
    private boolean awaitsHalt(GroupId g, int rank) {
        return g.equals(group) && phase == Phase.HALTING && rank >= 0 && !halted.containsKey(rank) && !lost.contains(rank);
    }

    private int rankOf(ActorRef<ToTrainer> trainer) {
        for (int r = 0; r < members.size(); r++) {
            if (members.get(r).trainer().equals(trainer)) {
                return r;
            }
        }
        return -1;
    }

    private String nodes() {
        return members.stream().map(Member::node).collect(Collectors.joining(", "));
    }

    /** The ranks that have not answered what is awaited, with their nodes. */
    private String silentRanks() {
        List<String> silent = new ArrayList<>();
        for (int r = 0; r < members.size(); r++) {
            boolean behind = switch (phase) {
                case TRAINING -> done[r] <= Arrays.stream(done).min().orElseThrow();
                case HALTING -> !halted.containsKey(r) && !lost.contains(r);
                case CHECKPOINTING -> r == 0;
                default -> !answered[r];
            };
            if (behind) {
                silent.add("rank " + r + " (" + members.get(r).node() + ", at step " + done[r] + ")");
            }
        }
        return silent.isEmpty() ? "the coordinator" : String.join(", ", silent);
    }
}
