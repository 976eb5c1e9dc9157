package ablate.cluster.protocol;

import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.Response;
import ablate.evaluator.scoring.PlannedBatch;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * What the coordinator's aggregator and the evaluator nodes say to each other. The aggregator plans
 * a checkpoint's requests into units of work (a {@link PlannedBatch}: a decoder's TokenBatch or an
 * encoder-decoder's PairBatch; or one greedy generation), numbered within the evaluation; an evaluator loads the checkpoint once, answers
 * each unit, and the aggregator counts the first answer of every unit and ignores repeats (a unit
 * is given to another evaluator when its own is lost or late).
 */
public final class EvaluationProtocol {
    /** Evaluator nodes register their {@link ToEvaluator} reference under this key. */
    public static final ServiceKey<ToEvaluator> EVALUATORS = ServiceKey.create(ToEvaluator.class, "ablate-evaluators");

    private EvaluationProtocol() {}

    /** One evaluation: checkpoint {@code step} of run {@code run}; {@code serial} tells repeated evaluations of it apart. */
    public record JobId(String run, long step, long serial) implements ClusterMessage {
        @Override
        public String toString() {
            return run + "@" + step + "#" + serial;
        }
    }

    /** Work for an evaluator node. The checkpoint is RUN/checkpoints/step-N under the node's own cluster.storage. */
    public sealed interface ToEvaluator extends ClusterMessage permits ScoreBatch, Generate {}

    /** Run planned batch {@code unit} of the job on its checkpoint. */
    public record ScoreBatch(JobId job, int unit, PlannedBatch batch, ActorRef<FromEvaluator> replyTo) implements ToEvaluator {}

    /** Generate greedily for request {@code unit} of the job. */
    public record Generate(JobId job, int unit, Request.Generate request, ActorRef<FromEvaluator> replyTo) implements ToEvaluator {}

    /** Answers to the aggregator. */
    public sealed interface FromEvaluator extends ClusterMessage permits BatchScored, Generated, WorkFailed {}

    /** The batch's responses, in the order of its requests. */
    public record BatchScored(JobId job, int unit, List<Response.LogLikelihood> responses, ActorRef<ToEvaluator> from)
            implements FromEvaluator {}

    public record Generated(JobId job, int unit, Response.Generated response, ActorRef<ToEvaluator> from) implements FromEvaluator {}

    /** The unit could not be computed here (the checkpoint does not load, the model fails): the evaluation fails with this. */
    public record WorkFailed(JobId job, int unit, String error, ActorRef<ToEvaluator> from) implements FromEvaluator {}
}
