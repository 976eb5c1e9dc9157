package ablate.cluster.evaluation;

import ablate.cluster.protocol.EvaluationProtocol.BatchScored;
import ablate.cluster.protocol.EvaluationProtocol.FromEvaluator;
import ablate.cluster.protocol.EvaluationProtocol.Generated;
import ablate.cluster.protocol.EvaluationProtocol.JobId;
import ablate.evaluator.scoring.BatchRunner;
import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.Response;
import ablate.evaluator.scoring.PlannedBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The evaluation thread's side of the aggregator: planned work handed to the aggregator actor as
 * numbered units, and a wait (until the evaluation's deadline) for every answer.
 */
final class RemoteRunner implements BatchRunner {
    private final JobId job;
    private final ActorRef<Aggregator.Command> aggregator;
    private final Instant deadline;
    private int next;

    RemoteRunner(JobId job, ActorRef<Aggregator.Command> aggregator, Instant deadline) {
        this.job = job;
        this.aggregator = aggregator;
        this.deadline = deadline;
    }

    @Override
    public List<List<Response.LogLikelihood>> forward(List<? extends PlannedBatch> batches) {
        List<Unit> units = new ArrayList<>();
        batches.forEach(b -> units.add(new Unit.Batch(next++, b)));
        Map<Integer, FromEvaluator> answers = await(units);
        return units.stream().map(u -> ((BatchScored) answers.get(u.id())).responses()).toList();
    }

    @Override
    public List<Response.Generated> generate(List<Request.Generate> requests) {
        List<Unit> units = new ArrayList<>();
        requests.forEach(r -> units.add(new Unit.Generation(next++, r)));
        Map<Integer, FromEvaluator> answers = await(units);
        return units.stream().map(u -> ((Generated) answers.get(u.id())).response()).toList();
    }

    private Map<Integer, FromEvaluator> await(List<Unit> units) {
        CompletableFuture<Map<Integer, FromEvaluator>> answers = new CompletableFuture<>();
        aggregator.tell(new Aggregator.Dispatch(job, units, answers));
        long left = Duration.between(Instant.now(), deadline).toMillis();
        try {
            return answers.get(Math.max(1, left), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("evaluation " + job + " did not finish within cluster.evaluation.job-timeout", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("evaluation " + job + " was stopped (the coordinator is stopping)", e);
        }
    }
}
