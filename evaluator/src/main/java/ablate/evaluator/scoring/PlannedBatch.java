package ablate.evaluator.scoring;

import java.util.Arrays;
import java.util.List;

/**
 * One forward pass as a scorer planned it: {@link TokenBatch} for a decoder ({@link TokenScorer}),
 * {@link PairBatch} for an encoder-decoder ({@link EncoderDecoderScorer}). A batch is planned once
 * and answered wherever it runs, in this process or on the cluster's evaluator nodes, so a
 * request's score does not depend on where it was computed.
 */
public sealed interface PlannedBatch permits TokenBatch, PairBatch {

    /** The requests this batch answers, in the order its responses come back. */
    List<Integer> requests();

    /** Responses of planned batches (each in its {@link #requests()} order) put back in request order. */
    static List<Response.LogLikelihood> inRequestOrder(int requests, List<? extends PlannedBatch> batches,
            List<List<Response.LogLikelihood>> answers) {
        Response.LogLikelihood[] out = new Response.LogLikelihood[requests];
        for (int b = 0; b < batches.size(); b++) {
            List<Integer> order = batches.get(b).requests();
            List<Response.LogLikelihood> answer = answers.get(b);
            if (answer.size() != order.size()) {
                throw new IllegalStateException("batch " + b + " answered " + answer.size() + " of its " + order.size() + " requests");
            }
            for (int i = 0; i < order.size(); i++) {
                out[order.get(i)] = answer.get(i);
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                throw new IllegalStateException("request " + i + " is in no batch");
            }
        }
        return Arrays.asList(out);
    }
}
