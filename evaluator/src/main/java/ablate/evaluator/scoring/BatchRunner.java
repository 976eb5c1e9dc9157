package ablate.evaluator.scoring;

import java.util.List;

/**
 * Computes planned work on a model: forward passes of planned {@link TokenBatch}es and greedy
 * generations. {@link ModelRunner} does it on this process's model; the cluster's aggregator ships
 * the same work to evaluator nodes. Either way every batch is answered exactly as planned.
 */
public interface BatchRunner {

    /** Each batch's responses, in the order of its {@link TokenBatch#requests()}. */
    List<List<Response.LogLikelihood>> forward(List<TokenBatch> batches);

    /** One generation per request, in order (each alone in its forward passes, so it does not depend on batching). */
    List<Response.Generated> generate(List<Request.Generate> requests);
}
