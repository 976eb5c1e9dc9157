package ablate.trainer.optim;

import ablate.conf.TrainConfig;

/**
 * Linear warmup to the peak learning rate, then cosine decay to the minimum (GPT-3, Megatron),
 * held at the minimum after the decay ends. A pure function of the step, so it needs no state in
 * checkpoints.
 */
public record LrSchedule(double peak, double min, int warmupSteps, int decaySteps) {

    public static LrSchedule of(TrainConfig train) {
        return new LrSchedule(train.lr(), train.minLr(), train.warmupSteps(), train.effectiveDecaySteps());
    }

    /** Learning rate of the optimizer step with 0-based index {@code step}. */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
    }
}
