package ablate.evaluator.scoring;

import java.util.ArrayList;
import java.util.List;

/**
 * One forward pass of a decoder as {@link TokenScorer#plan} cut it: rows padded to {@code width},
 * each row one or more requests (a shared context, then each continuation restarting at the
 * context's end). A batch is planned once and answered wherever it runs: a request's score depends
 * in its low bits on the batch it was packed into, so shipping whole planned batches keeps the
 * numbers independent of where and by how many evaluators they are computed.
 */
public record TokenBatch(int width, List<Row> rows) implements PlannedBatch {
    public TokenBatch {
        rows = List.copyOf(rows);
    }

    /** One request's continuation in a row: its index among the planned requests, targets, and where each is predicted. */
    public record Segment(int request, int[] targets, int[] readAt) {}

    /** One model input: tokens, their positions, which segment each token belongs to (0 = the shared context). */
    public record Row(int[] tokens, int[] positions, int[] segment, List<Segment> segments) {
        public Row {
            segments = List.copyOf(segments);
        }
    }

    /** The requests this batch answers, in the order {@link TokenScorer#forward} returns their responses. */
    @Override
    public List<Integer> requests() {
        List<Integer> out = new ArrayList<>();
        for (Row row : rows) {
            row.segments().forEach(s -> out.add(s.request()));
        }
        return out;
    }
}
