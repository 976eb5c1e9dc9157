package ablate.trainer.run;

import ablate.trainer.parallel.MicroBatchRange;
import java.util.List;

/**
 * What one optimizer step measured: after it, {@code step} steps and {@code consumedSamples}
 * samples are done; {@code shares} are the global micro-batches each rank computed (rank order),
 * {@code computeSeconds} this rank's forward and backward time (the rest of {@code seconds} is
 * waiting for the group and the update).
 */
public record StepMetrics(long step, double loss, double lr, double gradNorm, long tokens, long consumedSamples, double seconds,
        Scaling scaling, List<MicroBatchRange> shares, double computeSeconds) {
    public StepMetrics {
        shares = List.copyOf(shares);
    }


    /** The loss scale the step ran with (fp16) and whether an inf/NaN gradient skipped it. */
    public record Scaling(boolean enabled, double scale, boolean skipped) {}
}
