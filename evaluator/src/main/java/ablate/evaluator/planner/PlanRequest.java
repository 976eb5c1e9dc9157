package ablate.evaluator.planner;

import java.util.List;

/**
 * What the user asks the planner.
 *
 * @param gpus GPUs to train on; 0 when not given (no layout or wall time then)
 * @param minTokens the fewest training tokens the user accepts; 0 for none
 * @param choices architecture choices carried over from a study (may be empty)
 */
public record PlanRequest(double gpuHours, String gpu, int gpus, Throughput throughput, double minTokens, boolean zero1,
                          List<AxisChoice> choices) {
    public PlanRequest {
        if (!(gpuHours > 0) || !Double.isFinite(gpuHours)) {
            throw new IllegalArgumentException("--gpu-hours must be a positive, finite number, got " + gpuHours);
        }
        if (gpus < 0) {
            throw new IllegalArgumentException("--gpus must be positive, got " + gpus);
        }
        if (!(minTokens >= 0) || !Double.isFinite(minTokens)) {
            throw new IllegalArgumentException("--min-tokens must be >= 0 and finite, got " + minTokens);
        }
        choices = List.copyOf(choices);
    }
}
