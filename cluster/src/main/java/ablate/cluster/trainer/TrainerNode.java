package ablate.cluster.trainer;

import ablate.cluster.node.DjlThread;
import ablate.cluster.node.TrainingSettings;
import ablate.cluster.protocol.Listings;
import ablate.cluster.protocol.TrainingProtocol;
import ablate.cluster.protocol.TrainingProtocol.CheckpointWritten;
import ablate.cluster.protocol.TrainingProtocol.Commit;
import ablate.cluster.protocol.TrainingProtocol.Connect;
import ablate.cluster.protocol.TrainingProtocol.Connected;
import ablate.cluster.protocol.TrainingProtocol.Grant;
import ablate.cluster.protocol.TrainingProtocol.GroupId;
import ablate.cluster.protocol.TrainingProtocol.Halt;
import ablate.cluster.protocol.TrainingProtocol.Halted;
import ablate.cluster.protocol.TrainingProtocol.Leaving;
import ablate.cluster.protocol.TrainingProtocol.Prepare;
import ablate.cluster.protocol.TrainingProtocol.Prepared;
import ablate.cluster.protocol.TrainingProtocol.Prune;
import ablate.cluster.protocol.TrainingProtocol.Regroup;
import ablate.cluster.protocol.TrainingProtocol.Release;
import ablate.cluster.protocol.TrainingProtocol.StepDone;
import ablate.cluster.protocol.TrainingProtocol.ToCoordinator;
import ablate.cluster.protocol.TrainingProtocol.ToTrainer;
import ablate.cluster.protocol.TrainingProtocol.TrainerFailed;
import ablate.cluster.protocol.TrainingProtocol.TrainerStatus;
import ablate.cluster.protocol.TrainingProtocol.WriteCheckpoint;
import ablate.conf.SettingsException;
import ablate.trainer.data.DataException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A trainer node: one per device (JVM). It serves at most one run's group at a time, doing every
 * piece of DJL work on its {@link DjlThread} ({@link GroupTraining} holds the replica) while this
 * actor answers orders, reports to the group's supervisor and sends the coordinator a heartbeat.
 * An order for another group than the one served is ignored, except a {@link Prepare}, which
 * supersedes it; a group that gets no order for {@code orders-timeout} is left.
 */
public final class TrainerNode extends AbstractBehavior<TrainerNode.Command> {
    /** What the node answers; everything but orders is internal. */
    public sealed interface Command {}

    private record Order(ToTrainer order) implements Command {}

    private record CoordinatorListed(Receptionist.Listing listing) implements Command {}

    private enum Heartbeat implements Command { INSTANCE }

    private record Opened(GroupId group, GroupTraining training, GroupTraining.Standing standing) implements Command {}

    private record Joined(GroupId group) implements Command {}

    private record LoopEnded(GroupId group) implements Command {}

    private record Written(GroupId group, long step, String dir) implements Command {}

    private record Failed(GroupId group, Throwable error) implements Command {}

    private record OrdersOverdue(GroupId group) implements Command {}

    private record Stood(GroupId group, GroupTraining.Standing standing) implements Command {}

    private record Regrouped(GroupId group, GroupTraining.Standing standing) implements Command {}

    /** The node shuts down (SIGTERM): answered once the group served has let this trainer go. */
    private record Drain(ActorRef<Done> replyTo) implements Command {}

    /** Who this node is, for heartbeats and error reports. */
    public record Identity(String node, String host, long pid, String device) {}

    /** The group being served: touched by the actor only, except the atomics the DJL loop reads and writes. */
    private static final class Serving {
        final Prepare order;
        GroupTraining training;
        DjlThread.Task<?> running;
        boolean looping;
        final AtomicLong granted = new AtomicLong();
        final AtomicLong done = new AtomicLong();
        volatile boolean stopped;
        /** The group broke or is being halted: a failing step is expected, the replica is kept for a regroup. */
        boolean halting;

        Serving(Prepare order) {
            this.order = order;
            this.done.set(order.resumeStep());
        }

        GroupId group() {
            return order.group();
        }
    }

    private final Identity identity;
    private final GroupTraining.Place place;
    private final TrainingSettings settings;
    private final TimerScheduler<Command> timers;
    private final ActorRef<ToTrainer> self;
    private final DjlThread djl;
    private ActorRef<ToCoordinator> coordinator;
    private Serving serving;
    /** Set once the node shuts down: answered when no group is served any more. */
    private ActorRef<Done> drained;

    /** @param djl the node's DJL thread (its owner closes it after this actor stopped) */
    public static Behavior<Command> create(Identity identity, GroupTraining.Place place, TrainingSettings settings, DjlThread djl) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new TrainerNode(ctx, timers, identity, place, settings, djl)));
    }

    private TrainerNode(ActorContext<Command> ctx, TimerScheduler<Command> timers, Identity identity, GroupTraining.Place place,
            TrainingSettings settings, DjlThread djl) {
        super(ctx);
        this.djl = djl;
        this.identity = identity;
        this.place = place;
        this.settings = settings;
        this.timers = timers;
        this.self = ctx.messageAdapter(ToTrainer.class, Order::new);
        ctx.getSystem().receptionist().tell(Receptionist.register(TrainingProtocol.TRAINERS, self));
        Listings.subscribe(ctx, TrainingProtocol.COORDINATOR, CoordinatorListed::new);
        timers.startTimerWithFixedDelay(Heartbeat.INSTANCE, settings.heartbeatInterval());
        drainOnShutdown(ctx);
        ctx.getLog().info("trainer {} on {} ready", identity.node(), identity.device());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Command.class, this::on)
                .onSignal(PostStop.class, stop -> onStop())
                .build();
    }

    private Behavior<Command> on(Command command) {
        switch (command) {
            case Order(ToTrainer order) -> onOrder(order);
            case CoordinatorListed(Receptionist.Listing listing) ->
                    coordinator = listing.getServiceInstances(TrainingProtocol.COORDINATOR).stream().findFirst().orElse(coordinator);
            case Heartbeat h -> heartbeat();
            case Opened(GroupId group, GroupTraining training, GroupTraining.Standing standing) -> onOpened(group, training, standing);
            case Joined(GroupId group) -> {
                if (serves(group)) {
                    serving.order.replyTo().tell(new Connected(group, serving.order.rank()));
                }
            }
            case LoopEnded(GroupId group) -> {
                if (serves(group)) {
                    serving.looping = false;
                    trainIfGranted();
                }
            }
            case Written(GroupId group, long step, String dir) -> {
                if (serves(group)) {
                    serving.order.replyTo().tell(new CheckpointWritten(group, step, dir));
                }
            }
            case Failed(GroupId group, Throwable error) -> onFailed(group, error);
            case Stood(GroupId group, GroupTraining.Standing standing) -> {
                if (serves(group)) {
                    serving.order.replyTo().tell(new Halted(group, serving.order.rank(), standing.step(), standing.digest()));
                }
            }
            case Regrouped(GroupId group, GroupTraining.Standing standing) -> {
                if (serves(group)) {
                    serving.order.replyTo().tell(new Prepared(group, serving.order.rank(), serving.training.ringAddress(),
                            identity.device(), serving.training.ncclId(), standing.step(), standing.digest()));
                }
            }
            case Drain(ActorRef<Done> replyTo) -> onDrain(replyTo);
            case OrdersOverdue(GroupId group) -> {
                if (serves(group)) {
                    getContext().getLog().warn("no order for group {} in {}: the coordinator is gone; leaving the group", group,
                            settings.ordersTimeout());
                    leave("no orders for " + settings.ordersTimeout());
                }
            }
        }
        return this;
    }

    /**
     * On SIGTERM (a scheduler's preemption, systemd stop) the node drains before it leaves the
     * cluster: the group checkpoints and goes on without this trainer, then releases it. Other
     * shutdowns (downed by the split-brain resolver, a failed start) do not wait: nothing could answer.
     */
    private void drainOnShutdown(ActorContext<Command> ctx) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(ctx.getSystem());
        ActorRef<Command> me = ctx.getSelf();
        var system = ctx.getSystem();
        shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "drain-trainer", () -> {
            boolean sigterm = shutdown.getShutdownReason().map(r -> r instanceof CoordinatedShutdown.JvmExitReason$).orElse(false);
            if (!sigterm) {
                return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
            }
            return AskPattern.<Command, Done>ask(me, Drain::new, settings.drainTimeout(), system.scheduler())
                    .exceptionally(e -> {
                        system.log().warn("draining did not finish within {} ({}); leaving anyway", settings.drainTimeout(), e.toString());
                        return Done.getInstance();
                    });
        });
    }

    private void onDrain(ActorRef<Done> replyTo) {
        drained = replyTo;
        heartbeat(); // the coordinator places nothing more here
        if (serving == null) {
            replyTo.tell(Done.getInstance());
            return;
        }
        getContext().getLog().info("shutting down: draining group {} (checkpoint, then leave)", serving.group());
        serving.order.replyTo().tell(leaving(serving.group(), serving.order.rank()));
    }

    private Leaving leaving(GroupId group, int rank) {
        return new Leaving(group, rank, identity.node(), "its node is shutting down");
    }

    private void onOrder(ToTrainer order) {
        if (order instanceof Prepare prepare && drained != null) {
            getContext().getLog().info("not preparing group {}: this node is shutting down", prepare.group());
            prepare.replyTo().tell(leaving(prepare.group(), prepare.rank()));
            return;
        }
        if (order instanceof Prepare prepare) {
            if (serving != null) {
                leave("superseded by group " + prepare.group());
            }
            serving = new Serving(prepare);
            getContext().getLog().info("preparing rank {} of {} for group {} (resume from step {})", prepare.rank(), prepare.ranks(),
                    prepare.group(), prepare.resumeStep());
            run(djl.submit(() -> {
                GroupTraining t = GroupTraining.open(prepare, place);
                try {
                    return new Opened(prepare.group(), t, t.standing());
                } catch (RuntimeException e) {
                    t.close();
                    throw e;
                }
            }), opened -> opened);
            expectOrders();
            return;
        }
        if (order instanceof Regroup r) {
            onRegroup(r);
            return;
        }
        if (order instanceof Commit c) {
            if (serves(c.group()) && serving.training != null) {
                serving.training.commit(c.step()); // the DJL thread waits for it; no other bookkeeping
            }
            return;
        }
        GroupId group = switch (order) {
            case Connect c -> c.group();
            case Halt h -> h.group();
            case Regroup r -> r.from();
            case Grant g -> g.group();
            case WriteCheckpoint w -> w.group();
            case Prune p -> p.group();
            case Release r -> r.group();
            case Prepare p -> p.group();
            case Commit c -> c.group();
        };
        if (!serves(group) || serving.training == null) {
            getContext().getLog().debug("ignoring {} for group {}: not serving it", order.getClass().getSimpleName(), group);
            return;
        }
        expectOrders();
        GroupTraining training = serving.training;
        switch (order) {
            case Connect c -> run(djl.submit(() -> {
                training.connect(c.ring(), c.ncclId(), settings.collectiveTimeout(), settings.collectiveBlockBytes());
                return true;
            }), ok -> new Joined(group));
            case Grant g -> {
                serving.granted.accumulateAndGet(g.untilStep(), Math::max);
                trainIfGranted();
            }
            case WriteCheckpoint w -> run(djl.submit(() -> training.writeCheckpoint(w.step()).toString()),
                    dir -> new Written(group, w.step(), dir));
            case Prune p -> djl.submit(() -> {
                training.prune();
                return true;
            }).result().whenComplete((ok, error) -> {
                if (error != null) {
                    getContext().getSystem().log().warn("pruning checkpoints of {} failed: {}", group, error.toString());
                }
            });
            case Release r -> {
                getContext().getLog().info("leaving group {}: {}", group, r.reason());
                leave(r.reason());
            }
            case Halt h -> {
                getContext().getLog().info("halting for group {}: the group broke; keeping the replica", group);
                serving.halting = true;
                serving.stopped = true;
                if (serving.running != null) {
                    serving.running.cancel(); // a step waiting in a collective fails at once; it is not applied
                }
                run(djl.submit(training::halt), standing -> new Stood(group, standing));
            }
            case Prepare p -> throw new IllegalStateException("handled above");
            case Regroup r -> throw new IllegalStateException("handled above");
            case Commit c -> throw new IllegalStateException("handled above");
        }
    }

    /** Carries the replica of the group served into the new one, keeping its memory. */
    private void onRegroup(Regroup r) {
        if (!serves(r.from()) || serving.training == null) {
            getContext().getLog().debug("ignoring a regroup from {}: not serving it", r.from());
            return;
        }
        GroupTraining training = serving.training;
        Prepare next = new Prepare(r.to(), serving.order.config(), r.rank(), r.ranks(), r.committedStep(), r.replyTo());
        long step = serving.done.get();
        serving = new Serving(next);
        serving.training = training;
        serving.done.set(step);
        getContext().getLog().info("group {} becomes {} in memory at step {}: rank {} of {}", r.from(), r.to(), step, r.rank(), r.ranks());
        if (drained != null) {
            r.replyTo().tell(leaving(r.to(), r.rank()));
        }
        expectOrders();
        run(djl.submit(() -> {
            training.regroup(next, r.committedStep(), place);
            return training.standing();
        }), standing -> new Regrouped(r.to(), standing));
    }

    private void onOpened(GroupId group, GroupTraining training, GroupTraining.Standing standing) {
        if (!serves(group)) {
            djl.submit(() -> {
                training.close(); // prepared for a group left meanwhile
                return true;
            });
            return;
        }
        serving.training = training;
        serving.order.replyTo().tell(new Prepared(group, serving.order.rank(), training.ringAddress(), identity.device(),
                training.ncclId(), standing.step(), standing.digest()));
    }

    /** Starts the step loop when steps are granted beyond those done and none runs. */
    private void trainIfGranted() {
        Serving s = serving;
        if (s == null || s.training == null || s.looping || s.granted.get() <= s.done.get()) {
            return;
        }
        s.looping = true;
        GroupId group = s.group();
        run(djl.submit(() -> {
            while (!s.stopped && s.training.step() < s.granted.get()) {
                TrainingProtocol.StepReport report = s.training.trainOne();
                s.done.set(report.step());
                s.order.replyTo().tell(new StepDone(group, s.order.rank(), report));
            }
            return true;
        }), ok -> new LoopEnded(group));
    }

    private void onFailed(GroupId group, Throwable error) {
        if (!serves(group)) {
            return; // a task of a group left meanwhile, interrupted on purpose
        }
        if (serving.halting) {
            serving.looping = false;
            return; // the step in flight, stopped by a halt: expected, and not applied
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        boolean retriable = !(cause instanceof SettingsException || cause instanceof DataException
                || cause instanceof IllegalArgumentException || cause instanceof IllegalStateException);
        getContext().getLog().error("group {} failed on this trainer ({}): {}", group, retriable ? "the group broke" : "the run is at fault",
                cause.toString());
        serving.order.replyTo().tell(new TrainerFailed(group, serving.order.rank(), identity.node(),
                cause.getMessage() == null ? cause.toString() : cause.getMessage(), retriable));
        if (retriable && serving.training != null) {
            // the group broke, not this replica: keep it for the supervisor's halt and regroup
            serving.halting = true;
            serving.stopped = true;
            serving.looping = false;
            return;
        }
        leave("failed: " + cause);
    }

    /** Stops the group's work (interrupting a step waiting in a collective) and frees the replica on the DJL thread. */
    private void leave(String reason) {
        Serving s = serving;
        serving = null;
        if (drained != null) {
            drained.tell(Done.getInstance());
        }
        timers.cancel(OrdersOverdue.class);
        s.stopped = true;
        if (s.running != null) {
            s.running.cancel();
        }
        djl.submit(() -> {
            if (s.training != null) {
                s.training.close();
            }
            return true;
        });
    }

    private <T> void run(DjlThread.Task<T> task, java.util.function.Function<T, Command> done) {
        GroupId group = serving.group();
        serving.running = task;
        // a task cancelled by leave() fails too, but for a group no longer served: onFailed ignores it
        getContext().pipeToSelf(task.result(), (value, error) -> error == null ? done.apply(value) : new Failed(group, error));
    }

    private boolean serves(GroupId group) {
        return serving != null && serving.group().equals(group);
    }

    private void expectOrders() {
        timers.startSingleTimer(OrdersOverdue.class, new OrdersOverdue(serving.group()), settings.ordersTimeout());
    }

    private void heartbeat() {
        if (coordinator == null) {
            return;
        }
        Serving s = serving;
        String state = drained != null ? "draining" : s == null ? "idle" : s.training == null ? "preparing" : s.looping ? "training" : "ready";
        coordinator.tell(new TrainerStatus(self, identity.node(), identity.host(), identity.pid(), identity.device(), state,
                s == null ? "" : s.group().toString(), s == null ? 0 : s.done.get()));
    }

    private Behavior<Command> onStop() {
        if (serving != null) {
            leave("node stopping"); // the replica's close is queued on the DJL thread, which runs it before it stops
        }
        return this;
    }
}
