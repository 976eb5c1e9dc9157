package ablate.evaluator.scoring;

import java.util.List;

/**
 * Computes planned work on a model: forward passes of {@link PlannedBatch}es (a decoder's {@link
 * TokenBatch}es, an encoder-decoder's {@link PairBatch}es) and greedy generations. {@link
 * ModelRunner} does it on this process's model; the cluster's aggregator ships the same work to
 * evaluator nodes. Either way every batch is answered exactly as planned.
 */
public interface BatchRunner {

    /** Each batch's responses, in the order of its {@link PlannedBatch#requests()}. */
    List<List<Response.LogLikelihood>> forward(List<? extends PlannedBatch> batches);

    /** One generation per request, in order (each alone in its forward passes, so it does not depend on batching). */
    List<Response.Generated> generate(List<Request.Generate> requests);
}
