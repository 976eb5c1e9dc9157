package ablate.cluster.evaluation;

import ablate.cluster.node.DjlThread;
import ablate.cluster.protocol.EvaluationProtocol;
import ablate.cluster.protocol.EvaluationProtocol.BatchScored;
import ablate.cluster.protocol.EvaluationProtocol.FromEvaluator;
import ablate.cluster.protocol.EvaluationProtocol.Generate;
import ablate.cluster.protocol.EvaluationProtocol.Generated;
import ablate.cluster.protocol.EvaluationProtocol.ScoreBatch;
import ablate.cluster.protocol.EvaluationProtocol.ToEvaluator;
import ablate.cluster.protocol.EvaluationProtocol.WorkFailed;
import ablate.trainer.run.Torch;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * An evaluator node's actor: takes units of a checkpoint's evaluation from the coordinator's
 * aggregator, scores them in arrival order on the node's DJL thread (the checkpoint is loaded by
 * the first unit that needs it and kept) with the same code {@code ablate eval} runs, and answers
 * each. It holds no scoring logic of its own.
 */
public final class EvaluatorNode extends AbstractBehavior<EvaluatorNode.Command> {
    /** Fault injection for tests and ops/chaos: milliseconds each unit waits before it is scored, so a kill lands mid-stream. */
    public static final String CHAOS_UNIT_DELAY_ENV = "ABLATE_CHAOS_EVAL_UNIT_MS";

    public sealed interface Command {}

    private record Work(ToEvaluator work) implements Command {}

    private record Done(ActorRef<FromEvaluator> replyTo, FromEvaluator answer) implements Command {}

    private final DjlThread djl;
    private final LoadedCheckpoint loaded;
    private final ActorRef<ToEvaluator> self;

    /**
     * @param storage where run folders are (the cluster's shared storage as this node mounts it)
     * @param threads libtorch threads; 0: every core
     */
    public static Behavior<Command> create(Path storage, String device, int threads, DjlThread djl) {
        return Behaviors.setup(ctx -> new EvaluatorNode(ctx, storage, device, threads, djl));
    }

    private EvaluatorNode(ActorContext<Command> ctx, Path storage, String device, int threads, DjlThread djl) {
        super(ctx);
        this.djl = djl;
        this.loaded = new LoadedCheckpoint(storage, device);
        this.self = ctx.messageAdapter(ToEvaluator.class, Work::new);
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        djl.submit(() -> {
            Torch.configureThreads(n);
            return null;
        });
        ctx.getSystem().receptionist().tell(Receptionist.register(EvaluationProtocol.EVALUATORS, self));
        ctx.getLog().info("evaluator on {} ({} threads) ready; run folders under {}", device, n, storage);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Work.class, w -> onWork(w.work()))
                .onMessage(Done.class, d -> {
                    d.replyTo().tell(d.answer());
                    return this;
                })
                .onSignal(PostStop.class, stop -> {
                    djl.submit(() -> {
                        loaded.close();
                        return null;
                    });
                    return this;
                })
                .build();
    }

    private Behavior<Command> onWork(ToEvaluator work) {
        switch (work) {
            case ScoreBatch s -> answer(s.replyTo(), s.job(), s.unit(), () -> new BatchScored(s.job(), s.unit(),
                    loaded.runner(s.job().run(), s.job().step()).forward(List.of(s.batch())).getFirst(), self));
            case Generate g -> answer(g.replyTo(), g.job(), g.unit(), () -> new Generated(g.job(), g.unit(),
                    loaded.runner(g.job().run(), g.job().step()).generate(List.of(g.request())).getFirst(), self));
        }
        return this;
    }

    private void answer(ActorRef<FromEvaluator> replyTo, EvaluationProtocol.JobId job, int unit,
            java.util.concurrent.Callable<FromEvaluator> compute) {
        long delay = Long.parseLong(System.getenv().getOrDefault(CHAOS_UNIT_DELAY_ENV, "0"));
        getContext().pipeToSelf(djl.submit(() -> {
            if (delay > 0) {
                Thread.sleep(delay);
            }
            return compute.call();
        }).result(), (answer, error) -> {
            if (error == null) {
                return new Done(replyTo, answer);
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
            getContext().getLog().warn("unit {} of {} failed: {}", unit, job, cause.toString());
            return new Done(replyTo, new WorkFailed(job, unit, cause.getMessage() == null ? cause.toString() : cause.getMessage(), self));
        });
    }
}
