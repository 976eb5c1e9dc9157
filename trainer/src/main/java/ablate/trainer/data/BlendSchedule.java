package ablate.trainer.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Megatron's dataset blending rule: sample {@code i} goes to the source furthest behind its target
 * share, {@code argmax_k weight_k * (i + 1) - count_k(i)}, ties to the lower index. Every prefix of
 * the schedule then matches the weights to within one sample per source, deterministically.
 *
 * <p>{@code count_k(i)} depends on all earlier samples, so it is computed by replaying the rule. A
 * cursor makes sequential access O(1) per sample, and checkpoints of the counts every
 * {@value #CHECKPOINT_EVERY} samples bound any later random access to that many steps; only the
 * first access beyond the furthest point reached so far replays from the last checkpoint.
 */
final class BlendSchedule {

    static final int CHECKPOINT_EVERY = 4096;

    /** Sample {@code i} is the {@code ordinal}-th (0-based) sample drawn from {@code source}. */
    record Assignment(int source, long ordinal) {}

    private final double[] weights;
    private final List<long[]> checkpoints = new ArrayList<>();
    private long cursor;
    private long[] cursorCounts;

    /** {@code weights} are normalized here; each must be positive. */
    BlendSchedule(double[] weights) {
        double total = Arrays.stream(weights).sum();
        this.weights = Arrays.stream(weights).map(w -> w / total).toArray();
        this.cursorCounts = new long[weights.length];
        checkpoints.add(cursorCounts.clone());
    }

    synchronized Assignment assign(long i) {
        if (i < 0) {
            throw new IndexOutOfBoundsException("sample index must be non-negative: " + i);
        }
        if (weights.length == 1) {
            return new Assignment(0, i);
        }
        if (i < cursor || i - cursor > CHECKPOINT_EVERY) {
            int c = (int) Math.min(i / CHECKPOINT_EVERY, checkpoints.size() - 1L);
            if (i < cursor || (long) c * CHECKPOINT_EVERY > cursor) {
                cursor = (long) c * CHECKPOINT_EVERY;
                cursorCounts = checkpoints.get(c).clone();
            }
        }
        while (cursor < i) {
            cursorCounts[next(cursor, cursorCounts)]++;
            cursor++;
            if (cursor % CHECKPOINT_EVERY == 0 && cursor / CHECKPOINT_EVERY == checkpoints.size()) {
                checkpoints.add(cursorCounts.clone());
            }
        }
        int source = next(i, cursorCounts);
        return new Assignment(source, cursorCounts[source]);
    }

    private int next(long i, long[] counts) {
        double target = i + 1.0;
        int best = 0;
        double bestError = weights[0] * target - counts[0];
        for (int k = 1; k < weights.length; k++) {
            double error = weights[k] * target - counts[k];
            if (error > bestError) {
                best = k;
                bestError = error;
            }
        }
        return best;
    }
}
