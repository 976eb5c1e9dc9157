package ablate.trainer.run;

/** What one optimizer step measured. */
public record StepMetrics(long step, double loss, double lr, double gradNorm, long tokens, long consumedSamples, double seconds) {}
