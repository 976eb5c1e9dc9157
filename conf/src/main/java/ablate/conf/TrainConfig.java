package ablate.conf;

/** Optimization, schedule and bookkeeping of a run (the {@code train} block of reference.conf). */
public record TrainConfig(
        long seed,
        int steps,
        int globalBatchSize,
        int microBatchSize,
        double lr,
        double minLr,
        int warmupSteps,
        int decaySteps,
        double beta1,
        double beta2,
        double eps,
        double weightDecay,
        double gradClip,
        int evalInterval,
        int evalSequences,
        int threads,
        String device,
        double peakTflops,
        MixedPrecision mixedPrecision,
        GradientReduction gradientReduction,
        Objective objective) {

    public TrainConfig {
        positive("train.steps", steps);
        positive("train.global-batch-size", globalBatchSize);
        positive("train.micro-batch-size", microBatchSize);
        if (globalBatchSize % microBatchSize != 0) {
            throw SettingsException.of("train.micro-batch-size", microBatchSize
                    + " does not divide the global batch of " + globalBatchSize + " sequences");
        }
        if (!(lr > 0)) {
            throw SettingsException.of("train.lr", "must be > 0, got " + lr);
        }
        if (!(minLr >= 0 && minLr <= lr)) {
            throw SettingsException.of("train.min-lr", "must be in [0, train.lr = " + lr + "], got " + minLr);
        }
        nonNegative("train.warmup-steps", warmupSteps);
        nonNegative("train.decay-steps", decaySteps);
        unitInterval("train.beta1", beta1);
        unitInterval("train.beta2", beta2);
        if (!(eps > 0)) {
            throw SettingsException.of("train.eps", "must be > 0, got " + eps);
        }
        if (!(weightDecay >= 0)) {
            throw SettingsException.of("train.weight-decay", "must be >= 0, got " + weightDecay);
        }
        if (!(gradClip >= 0)) {
            throw SettingsException.of("train.grad-clip", "must be >= 0 (0 disables clipping), got " + gradClip);
        }
        nonNegative("train.eval-interval", evalInterval);
        positive("train.eval-sequences", evalSequences);
        nonNegative("train.threads", threads);
        if (!device.matches("cpu|cuda(:\\d+)?")) {
            throw SettingsException.of("train.device", "must be cpu or cuda:N, got '" + device + "'");
        }
        if (!(peakTflops >= 0)) {
            throw SettingsException.of("train.peak-tflops", "must be >= 0 (0 means the measured or built-in peak), got " + peakTflops);
        }
    }

    /** Micro-batches of one optimizer step, over all data-parallel ranks. */
    public int microBatches() {
        return globalBatchSize / microBatchSize;
    }

    /** Micro-batches accumulated per optimizer step on one data-parallel rank. */
    public int accumulationSteps(int dataParallel) {
        if (globalBatchSize % (microBatchSize * dataParallel) != 0) {
            throw SettingsException.of("train.global-batch-size", globalBatchSize
                    + " sequences cannot be split into micro-batches of " + microBatchSize + " on " + dataParallel + " ranks");
        }
        return globalBatchSize / (microBatchSize * dataParallel);
    }

    /** Steps of cosine decay after warmup. */
    public int effectiveDecaySteps() {
        return decaySteps == 0 ? Math.max(1, steps - warmupSteps) : decaySteps;
    }

    /** Intra-op threads: the configured count, or every core. */
    public int effectiveThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }

    /**
     * A guessed peak FLOP/s of one device, for MFU when neither train.peak-tflops nor a measured
     * peak ({@code ablate calibrate}) is at hand: 0.064 TFLOP/s per CPU thread (the fp32 FMA peak of
     * an AVX2 core at 2 GHz), 989 TFLOP/s for a GPU (an H100 SXM's dense fp16/bf16). Only a guess:
     * a real core can beat it, which once made CPU MFU read above 100%.
     */
    public double estimatedPeakFlopsPerDevice() {
        return device.equals("cpu") ? 0.064e12 * effectiveThreads() : 989e12;
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw SettingsException.of(key, "must be a positive integer, got " + value);
        }
    }

    private static void nonNegative(String key, int value) {
        if (value < 0) {
            throw SettingsException.of(key, "must be >= 0, got " + value);
        }
    }

    private static void unitInterval(String key, double value) {
        if (!(value >= 0 && value < 1)) {
            throw SettingsException.of(key, "must be in [0, 1), got " + value);
        }
    }
}
