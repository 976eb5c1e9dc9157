package ablate.cluster.coordinator;

import ablate.cluster.coordinator.CoordinatorEvent.CheckpointCommitted;
import ablate.cluster.coordinator.CoordinatorEvent.NodeRegistered;
import ablate.cluster.coordinator.CoordinatorEvent.RunPlaced;
import ablate.cluster.coordinator.CoordinatorEvent.RunProgressed;
import ablate.cluster.coordinator.CoordinatorEvent.RunStateChanged;
import ablate.cluster.coordinator.CoordinatorEvent.RunSubmitted;
import ablate.cluster.coordinator.Views.NodeView;
import ablate.cluster.coordinator.Views.NodesFound;
import ablate.cluster.coordinator.Views.Refused;
import ablate.cluster.coordinator.Views.RunAnswer;
import ablate.cluster.coordinator.Views.RunFound;
import ablate.cluster.coordinator.Views.RunView;
import ablate.cluster.coordinator.Views.RunsFound;
import ablate.cluster.evaluation.Aggregator;
import ablate.cluster.node.EvaluationSettings;
import ablate.cluster.node.TrainingSettings;
import ablate.cluster.protocol.ClusterMessage;
import ablate.cluster.protocol.Listings;
import ablate.cluster.protocol.TrainingProtocol;
import ablate.cluster.protocol.TrainingProtocol.GroupId;
import ablate.cluster.protocol.TrainingProtocol.StepReport;
import ablate.cluster.protocol.TrainingProtocol.ToCoordinator;
import ablate.cluster.protocol.TrainingProtocol.ToTrainer;
import ablate.cluster.protocol.TrainingProtocol.TrainerStatus;
import ablate.conf.EvalConfig;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.run.LoopPolicy;
import ablate.trainer.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The cluster's coordinator (a cluster singleton on a coordinator-role node): accepts runs, places
 * queued runs on free trainers (one {@link RunSupervisor} per placement drives it), commits
 * checkpoints and keeps every run's state in an event-sourced journal, so that a coordinator that
 * moves or restarts knows every run, its committed checkpoint and its trainers. Runs that were
 * running when it stopped are queued again and resume from their last committed checkpoint.
 */
public final class Coordinator extends EventSourcedBehavior<Coordinator.Command, CoordinatorEvent, CoordinatorState> {
    public static final PersistenceId ID = PersistenceId.ofUniqueId("ablate-coordinator");

    /** Messages the coordinator handles; the API's may come from another node. */
    public sealed interface Command {}

    /** Accepts a validated run: {@code config} is its resolved config, rendered. */
    public record Submit(String name, String config, ActorRef<RunAnswer> replyTo) implements Command, ClusterMessage {}

    /**
     * Accepts a study: every run (its resolved config, rendered) as STUDY/RUN in the study folder,
     * with study.conf naming the base and the study file as submitted; answered with every run or
     * refused as a whole.
     */
    public record SubmitStudy(String name, String base, String source, List<StudyRun> runs, ActorRef<RunAnswer> replyTo)
            implements Command, ClusterMessage {}

    /** One run of a submitted study: its name in the study and its resolved config. */
    public record StudyRun(String name, String config) implements ClusterMessage {}

    public record GetRun(String name, ActorRef<RunAnswer> replyTo) implements Command, ClusterMessage {}

    public record ListRuns(ActorRef<RunsFound> replyTo) implements Command, ClusterMessage {}

    public record ListNodes(ActorRef<NodesFound> replyTo) implements Command, ClusterMessage {}

    /** What a user can ask of a run. */
    public enum Action { PAUSE, RESUME, CANCEL, CHECKPOINT }

    public record Control(String name, Action action, ActorRef<RunAnswer> replyTo) implements Command, ClusterMessage {}

    record FromTrainer(ToCoordinator message) implements Command {}

    record TrainersListed(Receptionist.Listing listing) implements Command {}

    /** Cluster membership: a node that leaves or is removed takes its trainer with it at once. */
    record MembersChanged(ClusterEvent.MemberEvent event) implements Command {}

    record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

    /** From a supervisor: rank 0 finished a step. */
    record Progress(GroupId group, StepReport report) implements Command {}

    /** From a supervisor: checkpoint {@code step} is written and verified; commit it, then answer {@code replyTo}. */
    record CheckpointReady(GroupId group, long step, ActorRef<RunSupervisor.Command> replyTo) implements Command {}

    /** From a supervisor: its group broke and goes on from memory as {@code to} on {@code trainers}, after {@code step} steps. */
    record Regrouped(GroupId from, GroupId to, List<ActorRef<ToTrainer>> trainers, List<String> nodes, long step, String reason)
            implements Command {}

    /** From a supervisor: its group ended. */
    record GroupEnded(GroupId group, RunSupervisor.Outcome outcome, String reason) implements Command {}

    /** From a supervisor at a checkpoint barrier: up to {@code most} free trainers may join its group. */
    record OfferTrainers(GroupId group, int most, ActorRef<RunSupervisor.Command> replyTo) implements Command {}

    /**
     * From a supervisor: rank {@code rank} on {@code node} computes {@code ratio} times slower than
     * the others (NaN: it keeps pace again); {@code excluded}: it is left behind, not to be offered back.
     */
    /** From a supervisor: the node's port refused a connection, its process is gone; offer and place nothing there. */
    record ProcessGone(String node) implements Command {}

    record Straggling(GroupId group, String node, int rank, double ratio, boolean excluded) implements Command {}

    private enum Tick implements Command { INSTANCE }

    /** From the aggregator: an evaluation ended. */
    private record Evaluated(Aggregator.Evaluated result) implements Command {}

    /** A run found running after a restart, checked against its folder: the newest checkpoint that verifies there (-1: none). */
    private record Reconciled(String run, long newestVerified, String problem) implements Command {
        Reconciled withRun(String name) {
            return new Reconciled(name, newestVerified, problem);
        }
    }

    /** Chosen by {@link #place}: journal the placement, then start its supervisor. */
    private record PlaceRun(GroupId group, List<ActorRef<ToTrainer>> trainers) implements Command {}

    /**
     * Where runs live and how they are driven and evaluated.
     *
     * @param dataDir the node's --data-dir: relative eval.data-dir and eval.task-dir of runs resolve against it
     */
    public record Setup(Path storage, Path dataDir, TrainingSettings training, EvaluationSettings evaluation, int snapshotEvery,
            Clock clock) {}

    /** A placed run's supervisor and its trainers. */
    private record Active(GroupId group, ActorRef<RunSupervisor.Command> supervisor, List<ActorRef<ToTrainer>> trainers) {}

    /** A trainer as last heard of (not journaled: it is live information). */
    private record Live(ActorRef<ToTrainer> trainer, TrainerStatus status, Instant heard) {}

    private final ActorContext<Command> ctx;
    private final Setup setup;
    private final ActorRefResolver refs;
    private final Map<ActorRef<ToTrainer>, Live> trainers = new LinkedHashMap<>();
    private final Map<String, Active> active = new HashMap<>();
    private final Map<String, PlaceRun> reserved = new HashMap<>();
    private final Map<String, StepReport> lastStep = new HashMap<>();
    private final Set<String> unreachable = new java.util.HashSet<>();
    /** Nodes a supervisor found dead before the failure detector did; cleared by a heartbeat or the node's removal. */
    private final Set<String> processGone = new java.util.HashSet<>();
    /** Runs whose folders are being checked after a restart. */
    private final Set<String> reconciling = new java.util.HashSet<>();
    /** Per run, its stragglers (node address to how many times slower); live information, not journaled. */
    private final Map<String, Map<String, Double>> stragglers = new HashMap<>();
    /** Per run, the nodes left behind as stragglers: never offered to it again. */
    private final Map<String, Set<String>> excluded = new HashMap<>();
    private final ActorRef<Aggregator.Command> aggregator;
    private final ActorRef<Aggregator.Evaluated> evaluated;
    /** Runs checked since this coordinator started for a final evaluation that is due (a restart lost it). */
    private final Set<String> evaluationChecked = new java.util.HashSet<>();

    public static Behavior<Command> create(Setup setup) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Coordinator(ctx, timers, setup)));
    }

    private Coordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, Setup setup) {
        super(ID, SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
        this.ctx = ctx;
        this.setup = setup;
        this.refs = ActorRefResolver.get(ctx.getSystem());
        this.aggregator = ctx.spawn(Aggregator.create(setup.storage(), setup.dataDir(), setup.evaluation()), "aggregator");
        this.evaluated = ctx.messageAdapter(Aggregator.Evaluated.class, Evaluated::new);
        Listings.subscribe(ctx, TrainingProtocol.TRAINERS, TrainersListed::new);
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembersChanged::new), ClusterEvent.MemberEvent.class));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new), ClusterEvent.ReachabilityEvent.class));
        ctx.getSystem().receptionist().tell(Receptionist.register(TrainingProtocol.COORDINATOR,
                ctx.messageAdapter(ToCoordinator.class, FromTrainer::new)));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofSeconds(1));
    }

    @Override
    public CoordinatorState emptyState() {
        return CoordinatorState.EMPTY;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // a snapshot every N events; events before the previous snapshot are deleted: always a prefix (#516)
        return RetentionCriteria.snapshotEvery(setup.snapshotEvery(), 2).withDeleteEventsOnSnapshot();
    }

    @Override
    public SignalHandler<CoordinatorState> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> ctx.getLog().info(
                "coordinator recovered {} runs ({} queued or running) and {} nodes from the journal", state.runs().size(),
                state.runs().values().stream().filter(r -> r.state() == RunState.QUEUED || r.state() == RunState.RUNNING).count(),
                state.nodes().size())).build();
    }

    @Override
    public EventHandler<CoordinatorState, CoordinatorEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onEvent(CoordinatorEvent.class, CoordinatorState::apply).build();
    }

    @Override
    public CommandHandler<Command, CoordinatorEvent, CoordinatorState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onCommand(Command.class, this::on).build();
    }

    private Effect<CoordinatorEvent, CoordinatorState> on(CoordinatorState state, Command command) {
        return switch (command) {
            case Submit s -> onSubmit(state, s);
            case SubmitStudy s -> onSubmitStudy(state, s);
            case GetRun g -> Effect().reply(g.replyTo(), state.runs().containsKey(g.name())
                    ? new RunFound(view(state.runs().get(g.name()))) : unknownRun(g.name(), state));
            case ListRuns l -> Effect().reply(l.replyTo(), new RunsFound(state.runs().values().stream().map(this::view).toList()));
            case ListNodes l -> Effect().reply(l.replyTo(), new NodesFound(nodes(state)));
            case Control c -> onControl(state, c);
            case FromTrainer(TrainerStatus status) -> onStatus(state, status);
            case TrainersListed(Receptionist.Listing listing) -> {
                Set<ActorRef<ToTrainer>> listed = listing.getServiceInstances(TrainingProtocol.TRAINERS);
                trainers.keySet().retainAll(listed);
                for (ActorRef<ToTrainer> t : listed) {
                    trainers.putIfAbsent(t, new Live(t, new TrainerStatus(t, nodeOf(t), "", 0, "", "joining", "", 0), now()));
                }
                yield Effect().none();
            }
            case MembersChanged(ClusterEvent.MemberEvent event) -> {
                boolean gone = event instanceof ClusterEvent.MemberLeft || event instanceof ClusterEvent.MemberExited
                        || event instanceof ClusterEvent.MemberRemoved || event instanceof ClusterEvent.MemberDowned;
                if (gone) {
                    String address = event.member().address().toString();
                    trainers.keySet().removeIf(t -> nodeOf(t).equals(address));
                    unreachable.remove(address);
                    processGone.remove(address);
                }
                yield Effect().none();
            }
            case ReachabilityChanged(ClusterEvent.ReachabilityEvent event) -> {
                if (event instanceof ClusterEvent.UnreachableMember) {
                    String address = event.member().address().toString();
                    unreachable.add(address);
                    // the failure detector's verdict (about 4-5 s) reaches a broken group long before the node is downed
                    for (Active a : active.values()) {
                        a.trainers().stream().filter(t -> nodeOf(t).equals(address))
                                .forEach(t -> a.supervisor().tell(new RunSupervisor.Unreachable(t)));
                    }
                } else {
                    unreachable.remove(event.member().address().toString());
                }
                yield Effect().none();
            }
            case Progress(GroupId group, StepReport report) -> {
                if (isActive(group)) {
                    lastStep.put(group.run(), report);
                }
                yield Effect().none();
            }
            case CheckpointReady r -> onCheckpoint(state, r);
            case Regrouped r -> onRegrouped(r);
            case ProcessGone g -> {
                processGone.add(g.node());
                yield Effect().none();
            }
            case OfferTrainers o -> {
                o.replyTo().tell(new RunSupervisor.Joiners(o.group(), offer(state, o)));
                yield Effect().none();
            }
            case Straggling st -> {
                if (isActive(st.group())) {
                    Map<String, Double> now = stragglers.computeIfAbsent(st.group().run(), k -> new java.util.TreeMap<>());
                    if (Double.isNaN(st.ratio())) {
                        now.remove(st.node());
                    } else {
                        now.put(st.node(), st.ratio());
                    }
                    if (st.excluded()) {
                        excluded.computeIfAbsent(st.group().run(), k -> new java.util.HashSet<>()).add(st.node());
                    }
                }
                yield Effect().none();
            }
            case GroupEnded e -> onGroupEnded(state, e);
            case Tick t -> onTick(state);
            case Reconciled r -> onReconciled(state, r);
            case PlaceRun p -> onPlaceRun(state, p);
            case Evaluated(Aggregator.Evaluated r) -> onEvaluated(state, r);
        };
    }

    private Effect<CoordinatorEvent, CoordinatorState> onSubmit(CoordinatorState state, Submit s) {
        if (state.runs().containsKey(s.name())) {
            return Effect().reply(s.replyTo(), new Refused(409, "a run named " + s.name() + " exists (" + state.runs().get(s.name()).state()
                    .name().toLowerCase() + "); choose another --name"));
        }
        if (isStudy(state, s.name())) {
            return Effect().reply(s.replyTo(), new Refused(409, s.name() + " is a study's folder; choose another --name"));
        }
        RunConfig config;
        try {
            config = Settings.parse(Settings.parseText(new Settings.Text(s.name() + "/config.conf", s.config())));
            Evaluations.check(config, setup.dataDir());
            RunDirectory.create(setup.storage().resolve(s.name()), s.config());
        } catch (RuntimeException | IOException e) {
            return Effect().reply(s.replyTo(), new Refused(400, e.getMessage()));
        }
        RunSubmitted event = new RunSubmitted(s.name(), s.config(), config.train().steps(), config.train().microBatches(),
                config.cluster().dataParallel(), now());
        ctx.getLog().info("run {} submitted: {} steps on {} trainers", s.name(), event.steps(),
                event.dataParallel() == 0 ? "auto" : event.dataParallel());
        return Effect().persist(event).thenRun(after -> place(after)).thenReply(s.replyTo(), after -> new RunFound(view(after.runs().get(s.name()))));
    }

    private Effect<CoordinatorEvent, CoordinatorState> onSubmitStudy(CoordinatorState state, SubmitStudy s) {
        if (state.runs().containsKey(s.name()) || isStudy(state, s.name())) {
            return Effect().reply(s.replyTo(), new Refused(409, "a study or run named " + s.name() + " exists; give the study another name"));
        }
        List<CoordinatorEvent> events;
        try {
            events = StudyFolder.create(s, setup.storage(), setup.dataDir(), now());
        } catch (RuntimeException | IOException e) {
            return Effect().reply(s.replyTo(), new Refused(400, e.getMessage()));
        }
        ctx.getLog().info("study {} submitted: {} runs, base {}", s.name(), events.size(), s.base());
        List<String> names = s.runs().stream().map(r -> s.name() + "/" + r.name()).toList();
        return Effect().persist(events).thenRun(after -> place(after)).thenReply(s.replyTo(),
                after -> new RunsFound(names.stream().map(n -> view(after.runs().get(n))).toList()));
    }

    /** Whether {@code name} is the folder of a study (runs named NAME/RUN exist). */
    private static boolean isStudy(CoordinatorState state, String name) {
        return state.runs().keySet().stream().anyMatch(r -> r.startsWith(name + "/"));
    }

    private Effect<CoordinatorEvent, CoordinatorState> onControl(CoordinatorState state, Control c) {
        RunRecord run = state.runs().get(c.name());
        if (run == null) {
            return Effect().reply(c.replyTo(), unknownRun(c.name(), state));
        }
        Active group = active.get(c.name());
        if (group == null && reserved.remove(c.name()) != null) {
            ctx.getLog().debug("run {}: placement dropped by {}", c.name(), c.action());
        }
        return switch (c.action()) {
            case PAUSE, CHECKPOINT -> {
                if (group == null) {
                    if (c.action() == Action.PAUSE && run.state() == RunState.QUEUED) {
                        yield Effect().persist(new RunStateChanged(run.name(), RunState.PAUSED, "paused while queued", false, now()))
                                .thenReply(c.replyTo(), after -> new RunFound(view(after.runs().get(c.name()))));
                    }
                    yield Effect().reply(c.replyTo(), new Refused(409, run.name() + " is " + run.state().name().toLowerCase()
                            + ", not running"));
                }
                group.supervisor().tell(new RunSupervisor.Control(c.action()));
                yield Effect().reply(c.replyTo(), new RunFound(view(run)));
            }
            case CANCEL -> {
                if (group != null) {
                    group.supervisor().tell(new RunSupervisor.Control(Action.CANCEL));
                    yield Effect().reply(c.replyTo(), new RunFound(view(run)));
                }
                if (run.state().ended()) {
                    yield Effect().reply(c.replyTo(), new Refused(409, run.name() + " has already " + run.state().name().toLowerCase()));
                }
                yield Effect().persist(new RunStateChanged(run.name(), RunState.CANCELLED, "cancelled", false, now()))
                        .thenReply(c.replyTo(), after -> new RunFound(view(after.runs().get(c.name()))));
            }
            case RESUME -> {
                if (run.state() == RunState.QUEUED || run.state() == RunState.RUNNING) {
                    yield Effect().reply(c.replyTo(), new Refused(409, run.name() + " is already " + run.state().name().toLowerCase()));
                }
                if (run.state() == RunState.FINISHED && run.committedStep() >= run.steps()) {
                    yield Effect().reply(c.replyTo(), new Refused(409, run.name() + " has finished all " + run.steps() + " steps"));
                }
                yield Effect().persist(new RunStateChanged(run.name(), RunState.QUEUED, "resumed from step " + run.committedStep(), false, now()))
                        .thenRun(this::place)
                        .thenReply(c.replyTo(), after -> new RunFound(view(after.runs().get(c.name()))));
            }
        };
    }

    private Effect<CoordinatorEvent, CoordinatorState> onStatus(CoordinatorState state, TrainerStatus status) {
        String address = nodeOf(status.trainer());
        boolean member = java.util.stream.StreamSupport.stream(Cluster.get(ctx.getSystem()).state().getMembers().spliterator(), false)
                .anyMatch(m -> m.address().toString().equals(address) && m.status() == org.apache.pekko.cluster.MemberStatus.up());
        if (!member) {
            return Effect().none(); // a heartbeat that overtook the node's leaving
        }
        trainers.put(status.trainer(), new Live(status.trainer(), status, now()));
        processGone.remove(address); // it answers after all
        if (!state.nodes().containsKey(status.node())) {
            return Effect().persist(new NodeRegistered(status.node(), status.host(), status.device(), now()));
        }
        return Effect().none();
    }

    private Effect<CoordinatorEvent, CoordinatorState> onCheckpoint(CoordinatorState state, CheckpointReady r) {
        if (!isActive(r.group())) {
            return Effect().none();
        }
        List<CoordinatorEvent> events = new ArrayList<>();
        StepReport last = lastStep.get(r.group().run());
        if (last != null) {
            events.add(new RunProgressed(r.group().run(), last.step(), last.loss(), last.valLoss(), last.tokensPerSecond(), last.mfu(), now()));
        }
        events.add(new CheckpointCommitted(r.group().run(), r.step(), now()));
        ctx.getLog().info("run {}: checkpoint {} committed", r.group().run(), r.step());
        return Effect().persist(events).thenRun(after -> {
            r.replyTo().tell(new RunSupervisor.Committed(r.step()));
            RunRecord run = after.runs().get(r.group().run());
            EvalConfig eval = Evaluations.of(run);
            if (eval.enabled() && eval.everyCheckpoint() && r.step() < run.steps()) {
                aggregator.tell(new Aggregator.Evaluate(run.name(), r.step(), eval, evaluated));
            }
        });
    }

    private Effect<CoordinatorEvent, CoordinatorState> onRegrouped(Regrouped r) {
        Active was = active.get(r.from().run());
        if (was == null || !was.group().equals(r.from())) {
            return Effect().none();
        }
        active.put(r.to().run(), new Active(r.to(), was.supervisor(), r.trainers()));
        stragglers.remove(r.to().run()); // the ranks of the new group are counted afresh
        ctx.getLog().info("run {} regroups in memory at step {} on {} trainers ({})", r.to().run(), r.step(), r.trainers().size(),
                r.reason());
        return Effect().persist(new RunPlaced(r.to().run(), r.to().generation(), r.nodes(), now()));
    }

    private Effect<CoordinatorEvent, CoordinatorState> onGroupEnded(CoordinatorState state, GroupEnded e) {
        if (!isActive(e.group())) {
            return Effect().none();
        }
        active.remove(e.group().run());
        stragglers.remove(e.group().run());
        if (e.outcome() != RunSupervisor.Outcome.BROKEN && e.outcome() != RunSupervisor.Outcome.PAUSED
                && e.outcome() != RunSupervisor.Outcome.PREEMPTED) {
            excluded.remove(e.group().run());
        }
        RunRecord run = state.runs().get(e.group().run());
        List<CoordinatorEvent> events = new ArrayList<>();
        StepReport last = lastStep.remove(run.name());
        if (last != null) {
            events.add(new RunProgressed(run.name(), last.step(), last.loss(), last.valLoss(), last.tokensPerSecond(), last.mfu(), now()));
        }
        RunState next = switch (e.outcome()) {
            case FINISHED -> RunState.FINISHED;
            case PAUSED -> RunState.PAUSED;
            case CANCELLED -> RunState.CANCELLED;
            case FAILED -> RunState.FAILED;
            case BROKEN -> run.restarts() < setup.training().maxRestarts() ? RunState.QUEUED : RunState.FAILED;
            case PREEMPTED -> RunState.QUEUED; // a clean stop with a fresh checkpoint: not a failure, no restart counted
        };
        String reason = e.outcome() == RunSupervisor.Outcome.BROKEN && next == RunState.FAILED
                ? e.reason() + " (after " + run.restarts() + " restarts; cluster.training.max-restarts)" : e.reason();
        events.add(new RunStateChanged(run.name(), next, reason, e.outcome() == RunSupervisor.Outcome.BROKEN, now()));
        ctx.getLog().info("run {} {}{}", run.name(), next.name().toLowerCase(), reason.isEmpty() ? "" : ": " + reason);
        return Effect().persist(events).thenRun(after -> {
            place(after);
            if (next == RunState.FINISHED) {
                evaluateFinal(after.runs().get(run.name()));
            }
        });
    }

    /** Hands a finished run's last checkpoint to the aggregator when its config asks for zero-shot scores. */
    private void evaluateFinal(RunRecord run) {
        EvalConfig eval = Evaluations.of(run);
        if (eval.enabled()) {
            aggregator.tell(new Aggregator.Evaluate(run.name(), run.committedStep(), eval, evaluated));
        }
    }

    private Effect<CoordinatorEvent, CoordinatorState> onEvaluated(CoordinatorState state, Aggregator.Evaluated r) {
        if (!state.runs().containsKey(r.run())) {
            return Effect().none();
        }
        if (r.problem().isEmpty()) {
            ctx.getLog().info("run {}: checkpoint {} evaluated in {} s: {}{}", r.run(), r.step(), String.format("%.1f", r.seconds()),
                    r.scores(), r.skipped().isEmpty() ? "" : "; skipped " + r.skipped());
        } else {
            ctx.getLog().warn("run {}: checkpoint {} could not be evaluated: {}", r.run(), r.step(), r.problem());
        }
        return Effect().persist(new CoordinatorEvent.RunEvaluated(r.run(), r.step(), r.scores(), r.problem(), now()));
    }

    private Effect<CoordinatorEvent, CoordinatorState> onTick(CoordinatorState state) {
        // runs journaled as running have no supervisor after a restart or a move: check their folders, then queue them again
        for (RunRecord run : state.runs().values()) {
            if (run.state() == RunState.FINISHED && evaluationChecked.add(run.name()) && Evaluations.finalResultsMissing(run, setup.storage())) {
                evaluateFinal(run); // finished while no evaluation could be recorded (the coordinator stopped)
            }
            if (run.state() == RunState.RUNNING && !active.containsKey(run.name()) && reconciling.add(run.name())) {
                Path runDir = setup.storage().resolve(run.name());
                long committed = run.committedStep();
                ctx.pipeToSelf(java.util.concurrent.CompletableFuture.supplyAsync(() -> newestVerified(runDir, committed),
                        ctx.getSystem().dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking())),
                        (found, error) -> error != null ? new Reconciled(run.name(), -1, error.toString()) : found.withRun(run.name()));
            }
        }
        place(state);
        return Effect().none();
    }

    /**
     * The newest checkpoint in a run folder that verifies, when it is newer than the journal's
     * committed one. Checkpoints are pruned only after a newer one is committed, so a newer one
     * that verifies means the journal lost commits (an embedded journal killed mid-write); every
     * checkpoint is written at a step the whole group completed, so it is a sound place to resume.
     */
    private static Reconciled newestVerified(Path runDir, long committed) {
        try {
            java.util.Optional<ablate.trainer.checkpoint.Checkpoint> newest =
                    new ablate.trainer.checkpoint.Checkpoints(runDir.resolve("checkpoints"), Integer.MAX_VALUE).latestCommitted();
            return new Reconciled("", newest.map(ablate.trainer.checkpoint.Checkpoint::step).filter(s -> s > committed).orElse(-1L), "");
        } catch (java.io.IOException e) {
            return new Reconciled("", -1, e.toString());
        }
    }

    private Effect<CoordinatorEvent, CoordinatorState> onReconciled(CoordinatorState state, Reconciled r) {
        reconciling.remove(r.run());
        RunRecord run = state.runs().get(r.run());
        if (run == null || run.state() != RunState.RUNNING || active.containsKey(run.name())) {
            return Effect().none();
        }
        List<CoordinatorEvent> events = new ArrayList<>();
        long from = run.committedStep();
        if (!r.problem().isEmpty()) {
            ctx.getLog().warn("run {}: could not check its folder for checkpoints newer than the journal's ({}); resuming from step {}",
                    run.name(), r.problem(), from);
        } else if (r.newestVerified() > from) {
            ctx.getLog().warn("run {}: the journal's last committed checkpoint is step {}, but the run folder holds a verified one of "
                    + "step {} (the journal lost writes when it was killed); resuming from step {}", run.name(), from, r.newestVerified(),
                    r.newestVerified());
            from = r.newestVerified();
            events.add(new CheckpointCommitted(run.name(), from, now()));
        }
        events.add(new RunStateChanged(run.name(), RunState.QUEUED, "the coordinator restarted; resuming from step " + from, false, now()));
        return Effect().persist(events).thenRun(this::place);
    }

    /** Trainers reachable and neither placed nor reserved, in node order. */
    private List<ActorRef<ToTrainer>> free() {
        List<ActorRef<ToTrainer>> free = new ArrayList<>(trainers.keySet());
        free.removeIf(t -> unreachable.contains(nodeOf(t)) || processGone.contains(nodeOf(t))
                || "draining".equals(trainers.get(t).status().state()));
        active.values().forEach(a -> free.removeAll(a.trainers()));
        reserved.values().forEach(p -> free.removeAll(p.trainers()));
        free.sort(java.util.Comparator.comparing(this::nodeOf));
        return free;
    }

    /**
     * Free trainers for a group at its checkpoint barrier, once queued runs had their chance (they
     * are placed first, on every tick): they count as the group's at once, so nothing else takes them.
     */
    private List<RunSupervisor.Member> offer(CoordinatorState state, OfferTrainers o) {
        Active a = active.get(o.group().run());
        if (a == null || !a.group().equals(o.group())) {
            return List.of();
        }
        place(state);
        Set<String> shunned = excluded.getOrDefault(o.group().run(), Set.of());
        List<ActorRef<ToTrainer>> free = free();
        free.removeIf(t -> shunned.contains(nodeOf(t)));
        List<ActorRef<ToTrainer>> chosen = List.copyOf(free.subList(0, Math.min(o.most(), free.size())));
        if (chosen.isEmpty()) {
            return List.of();
        }
        List<ActorRef<ToTrainer>> all = new ArrayList<>(a.trainers());
        all.addAll(chosen);
        active.put(o.group().run(), new Active(a.group(), a.supervisor(), all));
        return chosen.stream().map(t -> new RunSupervisor.Member(t, nodeOf(t))).toList();
    }

    /** Places queued runs, oldest first, on free trainers; a run that does not fit waits and does not block smaller ones. */
    private void place(CoordinatorState state) {
        List<ActorRef<ToTrainer>> free = free();
        for (RunRecord run : state.runs().values()) {
            if (run.state() != RunState.QUEUED || active.containsKey(run.name()) || reserved.containsKey(run.name())) {
                continue;
            }
            int wanted = run.dataParallel() > 0 ? run.dataParallel() : Math.min(free.size(), run.microBatches());
            if (wanted > free.size() && run.generation() > 0 && !free.isEmpty()
                    && !run.updated().plus(setup.training().resumeSmallerAfter()).isAfter(now())) {
                // a run that trained before does not wait for its whole group: it goes on with fewer
                // trainers (the same losses) and grows back at its checkpoint barriers
                wanted = free.size();
            }
            if (wanted < 1 || free.size() < wanted) {
                continue;
            }
            List<ActorRef<ToTrainer>> chosen = List.copyOf(free.subList(0, wanted));
            free.removeAll(chosen);
            PlaceRun placement = new PlaceRun(new GroupId(run.name(), run.generation() + 1), chosen);
            reserved.put(run.name(), placement);
            ctx.getSelf().tell(placement);
        }
    }

    private Effect<CoordinatorEvent, CoordinatorState> onPlaceRun(CoordinatorState state, PlaceRun p) {
        reserved.remove(p.group().run());
        RunRecord run = state.runs().get(p.group().run());
        boolean stillFree = p.trainers().stream().allMatch(trainers::containsKey);
        if (run == null || run.state() != RunState.QUEUED || run.generation() + 1 != p.group().generation() || !stillFree) {
            return Effect().none(); // paused, cancelled or a trainer left meanwhile: the next tick places it again
        }
        List<String> nodes = p.trainers().stream().map(this::nodeOf).toList();
        return Effect().persist(new RunPlaced(run.name(), p.group().generation(), nodes, now())).thenRun(after -> {
            RunConfig config = Settings.parse(Settings.parseText(new Settings.Text(run.name() + "/config.conf", run.config())));
            List<RunSupervisor.Member> members = new ArrayList<>();
            for (int r = 0; r < p.trainers().size(); r++) {
                members.add(new RunSupervisor.Member(p.trainers().get(r), nodes.get(r)));
            }
            RunSupervisor.Plan plan = new RunSupervisor.Plan(p.group(), run.config(), new LoopPolicy(config), run.steps(),
                    run.committedStep(), setup.storage().resolve(run.name()),
                    run.dataParallel() > 0 ? run.dataParallel() : run.microBatches());
            ActorRef<RunSupervisor.Command> supervisor = ctx.spawn(RunSupervisor.create(plan, members, setup.training(), ctx.getSelf()),
                    "run-" + run.name().replace('/', '~') + "-" + p.group().generation());
            active.put(run.name(), new Active(p.group(), supervisor, p.trainers()));
        });
    }

    private RunAnswer unknownRun(String name, CoordinatorState state) {
        return new Refused(404, "no run named " + name + (state.runs().isEmpty() ? "; none was submitted yet"
                : "; runs: " + String.join(", ", state.runs().keySet())));
    }

    private boolean isActive(GroupId group) {
        Active a = active.get(group.run());
        return a != null && a.group().equals(group);
    }

    private RunView view(RunRecord r) {
        Active a = active.get(r.name());
        StepReport live = a == null ? null : lastStep.get(r.name());
        Path runDir = setup.storage().resolve(r.name());
        Map<String, Double> slow = Map.copyOf(stragglers.getOrDefault(r.name(), Map.of()));
        if (live != null) {
            return new RunView(r.name(), r.state(), live.step(), r.steps(), a.trainers().size(), r.nodes(), runDir.toString(),
                    live.loss(), Double.isNaN(live.valLoss()) ? r.valLoss() : live.valLoss(), live.tokensPerSecond(), live.mfu(),
                    r.committedStep(), r.restarts(), r.error(), r.submitted(), r.updated(), true, slow);
        }
        return new RunView(r.name(), r.state(), r.step(), r.steps(), a == null ? 0 : a.trainers().size(), r.nodes(), runDir.toString(),
                r.loss(), r.valLoss(), r.tokensPerSecond(), r.mfu(), r.committedStep(), r.restarts(), r.error(), r.submitted(),
                r.updated(), false, slow);
    }

    private List<NodeView> nodes(CoordinatorState state) {
        List<NodeView> out = new ArrayList<>();
        for (Live l : trainers.values()) {
            TrainerStatus s = l.status();
            boolean reachable = !unreachable.contains(nodeOf(l.trainer()));
            out.add(new NodeView(s.node(), "trainer", s.host(), s.pid(), s.device(), reachable ? s.state() : "unreachable", s.group(),
                    s.step(), l.heard(), reachable));
        }
        for (CoordinatorState.NodeRecord n : state.nodes().values()) {
            boolean listed = trainers.values().stream().anyMatch(l -> l.status().node().equals(n.node()));
            if (!listed) {
                out.add(new NodeView(n.node(), "trainer", n.host(), 0, n.device(), "gone", "", 0, n.firstSeen(), false));
            }
        }
        // the other members (coordinators, evaluators) as the cluster's gossip knows them: no heartbeat of ours, no device
        for (org.apache.pekko.cluster.Member m : Cluster.get(ctx.getSystem()).state().getMembers()) {
            String address = m.address().toString();
            if (out.stream().noneMatch(v -> v.node().equals(address))) {
                String roles = String.join("+", m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList());
                boolean reachable = !unreachable.contains(address);
                out.add(new NodeView(address, roles, m.address().getHost().orElse(""), 0, "", reachable
                        ? m.status().toString().toLowerCase(java.util.Locale.ROOT) : "unreachable", "", 0, now(), reachable));
            }
        }
        return out;
    }

    /** The trainer's node address (pekko://ablate@host:port), from its reference. */
    private String nodeOf(ActorRef<?> ref) {
        return ablate.cluster.protocol.NodeAddress.of(refs, ref);
    }

    private Instant now() {
        return setup.clock().instant();
    }
}
