package ablate.cluster.evaluation;

import ablate.cluster.node.EvaluationSettings;
import ablate.cluster.protocol.EvaluationProtocol;
import ablate.cluster.protocol.EvaluationProtocol.BatchScored;
import ablate.cluster.protocol.EvaluationProtocol.FromEvaluator;
import ablate.cluster.protocol.EvaluationProtocol.Generated;
import ablate.cluster.protocol.EvaluationProtocol.JobId;
import ablate.cluster.protocol.EvaluationProtocol.ToEvaluator;
import ablate.cluster.protocol.EvaluationProtocol.WorkFailed;
import ablate.cluster.protocol.Listings;
import ablate.conf.EvalConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The results aggregator (a child of the coordinator): evaluates checkpoints one at a time. Each
 * evaluation runs on the aggregator's own thread exactly as {@code ablate eval} does
 * ({@link CheckpointEvaluation}), and its planned work (whole batches, greedy generations) comes
 * here as units, which this actor streams to the evaluator nodes with credit-based flow control:
 * at most {@code window} units in flight per evaluator, the next one sent as an answer comes back.
 * A unit whose evaluator leaves, becomes unreachable or misses {@code unit-timeout} goes to another
 * one; only the first answer of a unit counts. With no evaluator node the evaluation waits, and
 * says so, until {@code job-timeout}.
 */
public final class Aggregator extends AbstractBehavior<Aggregator.Command> {
    public sealed interface Command {}

    /** Evaluate checkpoint {@code step} of {@code run} on the run's eval settings; answered with {@link Evaluated}. */
    public record Evaluate(String run, long step, EvalConfig eval, ActorRef<Evaluated> replyTo) implements Command {}

    /**
     * An evaluation's end: the headline figure per task, the tasks skipped (with reasons), or the
     * problem that stopped it (empty when results were written).
     */
    public record Evaluated(String run, long step, Map<String, Double> scores, List<String> skipped, String problem, double seconds) {}

    /** From the evaluation thread: compute these units and complete {@code answers}. */
    record Dispatch(JobId job, List<Unit> units, CompletableFuture<Map<Integer, FromEvaluator>> answers) implements Command {}

    private record Answer(FromEvaluator answer) implements Command {}

    private record Listed(Receptionist.Listing listing) implements Command {}

    private record Reachability(ClusterEvent.ReachabilityEvent event) implements Command {}

    private record JobEnded(JobId job, Evaluated result) implements Command {}

    private enum Tick implements Command { INSTANCE }

    /** Where a unit is being computed, and until when the answer is awaited. */
    private record Assigned(ActorRef<ToEvaluator> evaluator, Instant due) {}

    /** The evaluation in progress and its open dispatch. */
    private static final class Current {
        final JobId job;
        final Evaluate order;
        Dispatch dispatch;
        final Map<Integer, Unit> open = new HashMap<>();
        final Deque<Integer> ready = new ArrayDeque<>();
        final Map<Integer, Assigned> inFlight = new HashMap<>();
        final Map<Integer, FromEvaluator> answers = new HashMap<>();
        Instant waitingSaid = Instant.MIN;

        Current(JobId job, Evaluate order) {
            this.job = job;
            this.order = order;
        }
    }

    private final Path storage;
    private final Path dataDir;
    private final EvaluationSettings settings;
    private final ActorRef<FromEvaluator> answers;
    private final ActorRefResolver refs;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("ablate-eval-aggregator").daemon(true).factory());
    private final Deque<Evaluate> queue = new ArrayDeque<>();
    private final List<ActorRef<ToEvaluator>> evaluators = new ArrayList<>();
    private final Set<String> unreachable = new HashSet<>();
    private Current current;
    private long serial;

    /**
     * @param storage the run folders (cluster.storage)
     * @param dataDir the node's --data-dir: relative eval.data-dir and eval.task-dir resolve against it
     */
    public static Behavior<Command> create(Path storage, Path dataDir, EvaluationSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofSeconds(1));
            return new Aggregator(ctx, storage, dataDir, settings);
        }));
    }

    /** The tasks of {@code eval} as this node finds them; an unknown name fails listing the known ones. */
    public static List<ablate.evaluator.tasks.Task> tasks(EvalConfig eval, Path dataDir) {
        return CheckpointEvaluation.tasks(eval, dataDir);
    }

    private Aggregator(ActorContext<Command> ctx, Path storage, Path dataDir, EvaluationSettings settings) {
        super(ctx);
        this.storage = storage;
        this.dataDir = dataDir;
        this.settings = settings;
        this.answers = ctx.messageAdapter(FromEvaluator.class, Answer::new);
        this.refs = ActorRefResolver.get(ctx.getSystem());
        Listings.subscribe(ctx, EvaluationProtocol.EVALUATORS, Listed::new);
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new), ClusterEvent.ReachabilityEvent.class));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Command.class, this::on)
                .onSignal(PostStop.class, stop -> {
                    thread.shutdownNow(); // an evaluation waiting for its units fails at once
                    return this;
                })
                .build();
    }

    private Behavior<Command> on(Command command) {
        switch (command) {
            case Evaluate e -> {
                boolean known = (current != null && current.order.run().equals(e.run()) && current.order.step() == e.step())
                        || queue.stream().anyMatch(q -> q.run().equals(e.run()) && q.step() == e.step());
                if (!known) {
                    queue.add(e);
                    startNext();
                }
            }
            case Dispatch d -> onDispatch(d);
            case Answer(FromEvaluator answer) -> onAnswer(answer);
            case Listed(Receptionist.Listing listing) -> {
                Set<ActorRef<ToEvaluator>> listed = listing.getServiceInstances(EvaluationProtocol.EVALUATORS);
                evaluators.removeIf(e -> !listed.contains(e));
                listed.stream().filter(e -> !evaluators.contains(e)).forEach(evaluators::add);
                evaluators.sort(Comparator.comparing(this::nodeOf));
                requeueWhere(a -> !listed.contains(a.evaluator()), "its evaluator left the cluster");
                pump();
            }
            case Reachability(ClusterEvent.ReachabilityEvent event) -> {
                String node = event.member().address().toString();
                if (event instanceof ClusterEvent.UnreachableMember) {
                    unreachable.add(node);
                    requeueWhere(a -> nodeOf(a.evaluator()).equals(node), "its evaluator " + node + " is unreachable");
                } else {
                    unreachable.remove(node);
                }
                pump();
            }
            case JobEnded(JobId job, Evaluated result) -> {
                if (current != null && current.job.equals(job)) {
                    current.order.replyTo().tell(result);
                    current = null;
                    startNext();
                }
            }
            case Tick t -> onTick();
        }
        return this;
    }

    private void startNext() {
        if (current != null || queue.isEmpty()) {
            return;
        }
        Evaluate next = queue.poll();
        JobId job = new JobId(next.run(), next.step(), ++serial);
        current = new Current(job, next);
        CheckpointEvaluation.Order order = new CheckpointEvaluation.Order(next.run(), next.step(), next.eval(), storage, dataDir,
                settings.bootstrapIters());
        RemoteRunner runner = new RemoteRunner(job, getContext().getSelf(), Instant.now().plus(settings.jobTimeout()));
        getContext().getLog().info("evaluating {} on {} tasks ({} evaluator nodes)", job, next.eval().tasks().size(), evaluators.size());
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> CheckpointEvaluation.run(order, runner), thread), (r, error) -> {
            if (error == null) {
                return new JobEnded(job, new Evaluated(job.run(), job.step(), r.scores(), r.skipped(), r.problem(), r.seconds()));
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
            String problem = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            return new JobEnded(job, new Evaluated(job.run(), job.step(), Map.of(), List.of(), problem, 0));
        });
    }

    private void onDispatch(Dispatch d) {
        if (current == null || !current.job.equals(d.job())) {
            d.answers().completeExceptionally(new IllegalStateException("evaluation " + d.job() + " is no longer current"));
            return;
        }
        current.dispatch = d;
        current.open.clear();
        current.ready.clear();
        current.inFlight.clear();
        current.answers.clear();
        for (Unit u : d.units()) {
            current.open.put(u.id(), u);
            current.ready.add(u.id());
        }
        if (d.units().isEmpty()) {
            finishDispatch();
        }
        pump();
    }

    private void onAnswer(FromEvaluator answer) {
        JobId job;
        int unit;
        switch (answer) {
            case BatchScored b -> {
                job = b.job();
                unit = b.unit();
            }
            case Generated g -> {
                job = g.job();
                unit = g.unit();
            }
            case WorkFailed f -> {
                job = f.job();
                unit = f.unit();
            }
        }
        if (current == null || !current.job.equals(job) || !current.open.containsKey(unit)) {
            return; // a repeat of a unit already counted, or of an evaluation that ended
        }
        if (answer instanceof WorkFailed f) {
            Dispatch d = current.dispatch;
            current.dispatch = null;
            current.open.clear();
            current.ready.clear();
            current.inFlight.clear();
            d.answers().completeExceptionally(new IllegalStateException("evaluator " + nodeOf(f.from()) + " could not score unit "
                    + unit + ": " + f.error()));
            return;
        }
        current.open.remove(unit);
        current.inFlight.remove(unit);
        current.answers.put(unit, answer);
        if (current.open.isEmpty()) {
            finishDispatch();
        }
        pump();
    }

    private void finishDispatch() {
        Dispatch d = current.dispatch;
        current.dispatch = null;
        d.answers().complete(Map.copyOf(current.answers));
        current.answers.clear();
    }

    /** Sends ready units to evaluators with credit left, the least loaded first. */
    private void pump() {
        if (current == null) {
            return;
        }
        while (!current.ready.isEmpty()) {
            Map<ActorRef<ToEvaluator>, Integer> load = new HashMap<>();
            current.inFlight.values().forEach(a -> load.merge(a.evaluator(), 1, Integer::sum));
            ActorRef<ToEvaluator> target = evaluators.stream()
                    .filter(e -> !unreachable.contains(nodeOf(e)) && load.getOrDefault(e, 0) < settings.window())
                    .min(Comparator.comparingInt(e -> load.getOrDefault(e, 0))).orElse(null);
            if (target == null) {
                return;
            }
            int id = current.ready.poll();
            Unit unit = current.open.get(id);
            target.tell(switch (unit) {
                case Unit.Batch b -> new EvaluationProtocol.ScoreBatch(current.job, id, b.batch(), answers);
                case Unit.Generation g -> new EvaluationProtocol.Generate(current.job, id, g.request(), answers);
            });
            current.inFlight.put(id, new Assigned(target, Instant.now().plus(settings.unitTimeout())));
        }
    }

    private void requeueWhere(java.util.function.Predicate<Assigned> lost, String why) {
        if (current == null) {
            return;
        }
        List<Integer> again = current.inFlight.entrySet().stream().filter(e -> lost.test(e.getValue())).map(Map.Entry::getKey)
                .sorted().toList();
        if (!again.isEmpty()) {
            getContext().getLog().warn("evaluation {}: {} unit(s) go to other evaluators: {}", current.job, again.size(), why);
            again.forEach(current.inFlight::remove);
            for (int i = again.size() - 1; i >= 0; i--) {
                current.ready.addFirst(again.get(i));
            }
        }
    }

    private void onTick() {
        if (current == null) {
            return;
        }
        Instant now = Instant.now();
        requeueWhere(a -> a.due().isBefore(now), "no answer within cluster.evaluation.unit-timeout (" + settings.unitTimeout() + ")");
        boolean anyUsable = evaluators.stream().anyMatch(e -> !unreachable.contains(nodeOf(e)));
        if (!current.ready.isEmpty() && !anyUsable && current.waitingSaid.plus(Duration.ofMinutes(1)).isBefore(now)) {
            current.waitingSaid = now;
            getContext().getLog().warn("evaluation {} waits for an evaluator node (start one with `ablate node --role evaluator`);"
                    + " {} units queued", current.job, current.ready.size());
        }
        pump();
    }

    private String nodeOf(ActorRef<?> ref) {
        return ablate.cluster.protocol.NodeAddress.of(refs, ref);
    }
}
