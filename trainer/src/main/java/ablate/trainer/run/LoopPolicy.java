package ablate.trainer.run;

import ablate.conf.Architecture;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ablate.trainer.data.CorpusInfo;
import ablate.trainer.data.PreparedCorpus;
import ablate.trainer.data.Sentinels;
import ablate.trainer.model.EncoderDecoder;
import ablate.trainer.model.ModelSize;
import ablate.trainer.peak.Peak;
import ablate.trainer.peak.PeakCache;

/**
 * The training loop's rules, in one place for a local {@link Run} and a trainer on the cluster:
 * the vocabulary pre-flight, when to validate and checkpoint, what a step's throughput was, and
 * the guard that stops a run whose loss or gradient is no longer finite.
 */
public final class LoopPolicy {
    private final RunConfig config;
    private final double flopsPerToken;
    private final long tokensPerStep;
    private Peak peak;

    /**
     * The policy of {@code config}, whose MFU peak is resolved ({@link Peak#resolve}, from this
     * user's calibration cache) at the first throughput asked for: a coordinator that only asks
     * when to checkpoint never loads libtorch for it.
     */
    public LoopPolicy(RunConfig config) {
        this.config = config;
        this.flopsPerToken = new ModelSize(config.model()).flopsPerToken();
        this.tokensPerStep = ModelSize.tokensPerStep(config);
    }

    /** The peak of one device that MFU divides by, and where it came from. */
    public synchronized Peak peak() {
        if (peak == null) {
            peak = Peak.resolve(config.train(), PeakCache.standard());
        }
        return peak;
    }

    /**
     * Fails before anything is written when the data's tokens do not fit the model's vocabulary:
     * an id at or beyond model.vocab-size would index past the embedding. Each prepared corpus is
     * judged by what its corpus.json records (the tokenizer's vocabulary and the largest id written),
     * so no token is scanned here; a token file changed since is caught where it is read.
     *
     * @throws SettingsException naming model.vocab-size and where it was set, the corpus.json, its
     *     largest id and its tokenizer's vocabulary
     */
    public static void checkVocabulary(RunConfig run, TrainingData data) {
        int modelVocab = run.model().vocabSize();
        for (PreparedCorpus corpus : data.opened()) {
            CorpusInfo info = corpus.info();
            if (info.vocabSize() > modelVocab) {
                throw new SettingsException("model.vocab-size", Settings.originOf(run.source(), "model.vocab-size"),
                        modelVocab + " is too small for " + corpus.infoFile() + ": its largest token id is " + info.maxTokenId()
                                + (info.maxTokenId() >= modelVocab ? " (the model's ids end at " + (modelVocab - 1) + ")" : "")
                                + " and its tokenizer " + info.tokenizer() + " has " + info.vocabSize() + " tokens; set model.vocab-size"
                                + " to at least " + info.vocabSize() + " or prepare the corpus with this model's tokenizer");
            }
        }
        if (data.vocabSize() > modelVocab) {
            throw new SettingsException("model.vocab-size", Settings.originOf(run.source(), "model.vocab-size"),
                    modelVocab + " is smaller than the data's vocabulary of " + data.vocabSize() + " tokens ("
                            + data.tokenizer() + ")");
        }
    }

    /**
     * Fails before anything is built or written when the run's model cannot be trained as
     * configured, naming the key and where it was set: an encoder-decoder with a setting that has
     * no meaning for it ({@link EncoderDecoder#requireSupported}), or whose padded vocabulary cannot
     * hold the sentinels of its span corruption. Which objective fits which architecture is checked
     * where the config is read (train.objective).
     */
    public static void checkArchitecture(RunConfig run) {
        if (run.model().architecture() != Architecture.ENCODER_DECODER) {
            return;
        }
        try {
            EncoderDecoder.requireSupported(run.model());
            Sentinels.reserve(run.model(), SpanPairs.counts(run.model()).sentinels());
        } catch (SettingsException e) {
            throw new SettingsException(e.key(), Settings.originOf(run.source(), e.key()), e.problem());
        }
    }

    /** True once {@code step} steps are done and the run has nothing left to train. */
    public boolean finished(long step) {
        return step >= config.train().steps();
    }

    /** Whether the validation loss is measured after step {@code step} (1-based: the count of steps done). */
    public boolean validatesAfter(long step) {
        int every = config.train().evalInterval();
        return every > 0 && (step % every == 0 || step == config.train().steps());
    }

    /** Whether a checkpoint is written after step {@code step}: every checkpoint.interval, and at the end. */
    public boolean checkpointsAfter(long step) {
        int interval = config.checkpoint().interval();
        return (interval > 0 && step % interval == 0) || step == config.train().steps();
    }

    /**
     * Stops a run whose loss is no longer finite, or, in fp32, whose gradient is (fp16 skips such
     * steps and lowers the loss scale instead).
     *
     * @throws IllegalStateException saying what to change; the last checkpoint is intact
     */
    public void checkFinite(StepMetrics m) {
        boolean badGradient = !m.scaling().enabled() && !Double.isFinite(m.gradNorm());
        if (!Double.isFinite(m.loss()) || badGradient) {
            throw new RunFailed((badGradient ? "the gradient norm is " + m.gradNorm() : "loss is " + m.loss())
                    + " at step " + m.step() + "; lower train.lr or raise train.warmup-steps (the last checkpoint is intact)");
        }
    }

    /** Throughput of one step that took {@code m.seconds()} on {@code devices} devices. */
    public Throughput throughput(StepMetrics m, int devices) {
        double tokensPerSecond = tokensPerStep / m.seconds();
        double flopsPerSecond = tokensPerSecond * flopsPerToken;
        return new Throughput(tokensPerSecond, flopsPerSecond, flopsPerSecond / (peak().flopsPerSecond() * devices));
    }

    /** Tokens/s, model FLOP/s and MFU (a fraction, against the peak of every device the step ran on). */
    public record Throughput(double tokensPerSecond, double flopsPerSecond, double mfu) {}
}
