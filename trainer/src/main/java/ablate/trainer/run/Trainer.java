package ablate.trainer.run;

import ablate.conf.Architecture;
import ablate.conf.AttentionMask;
import ablate.conf.GradientReduction;
import ablate.conf.Precision;
import ablate.conf.RunConfig;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.TrainingState;
import ablate.trainer.data.Sampler;
import ablate.trainer.data.ValidationWindows;
import ablate.trainer.model.Batch;
import ablate.trainer.model.LanguageModel;
import ablate.trainer.model.ModelSize;
import ablate.trainer.model.ShapeLimits;
import ablate.trainer.optim.AdamW;
import ablate.trainer.optim.LossScale;
import ablate.trainer.optim.LrSchedule;
import ablate.trainer.optim.WeightUpdate;
import ablate.trainer.parallel.AllReduce;
import ablate.trainer.parallel.FixedPointGrid;
import ablate.trainer.parallel.MicroBatchRange;
import ablate.trainer.parallel.StepGradients;
import ablate.trainer.parallel.StepHeader;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one model replica, one optimizer step at a time, in torchtitan's phases: build
 * (constructor), batches ({@link #batch}), forward/backward and the gradient sum over the group
 * ({@link #step(AllReduce)}), and checkpoint ({@link #checkpointContents}, {@link #restore}). A
 * local run is a group of one ({@link AllReduce#single()}); a data-parallel trainer passes its
 * group, and nothing else changes.
 *
 * <p>Step s consumes samples {@code [s * G, (s + 1) * G)} of the global batch G, cut into M =
 * G / micro-batch-size micro-batches by global index; rank r of R computes the contiguous share
 * {@link MicroBatchRange#of}. Every random draw is seeded by global position (dropout by (seed,
 * step, micro-batch), prefix split points by (seed, sample)) and each micro-batch's loss is divided
 * by M, so the set of numbers computed does not depend on R. With {@code train.gradient-reduction
 * = exact} they are also summed without depending on R ({@link FixedPointGrid}), so a run's losses
 * are bitwise the same on any number of ranks with the same threads per rank.
 *
 * <p>With {@code train.precision = fp16} the model computes in fp16, the loss is multiplied by
 * the loss scale before backward, gradients are summed in fp32 and the step goes through fp32
 * master weights ({@link ablate.trainer.optim.MasterWeights}); a step with an inf/NaN gradient on
 * any rank is skipped by every rank (the data and the step count still advance, as in Megatron-LM)
 * and the scale adapts ({@link LossScale}).
 *
 * <p>A decoder trains on windows of seq-len + 1 tokens (inputs and next tokens); an
 * encoder-decoder on span-corruption pairs made of longer samples ({@link SpanPairs}), each sample
 * still one draw of the sampler, its corruption seeded by its global index, so everything above
 * holds for both. A run counts the tokens a sequence is made of: seq-len for a decoder, its S
 * encoder plus T decoder tokens for an encoder-decoder ({@link ModelSize#tokensPerSequence}), so
 * that tokens and tokens/s compare across architectures at equal compute.
 */
public final class Trainer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Trainer.class);

    private final RunConfig config;
    private final long tokensPerSequence;
    private final NDManager manager;
    private final LanguageModel model;
    private final Assembler assembler; // samples to micro-batches: windows, or span-corruption pairs
    private final WeightUpdate update;
    private final LrSchedule schedule;
    private final Sampler sampler;
    private final ValidationWindows validation;
    private final StepGradients gradients;
    private TrainingState state;

    public Trainer(RunConfig config, TrainingData data) {
        ShapeLimits.check(config); // with the keys' origins, before the model is built
        LoopPolicy.checkArchitecture(config);
        this.config = config;
        this.tokensPerSequence = new ModelSize(config.model()).tokensPerSequence();
        Torch.configureThreads(config.train().effectiveThreads());
        NDManager m = NDManager.newBaseManager(Torch.device(config.train().device()));
        this.manager = m;
        var t = config.train();
        DataType compute = t.mixedPrecision().precision() == Precision.FP16 ? DataType.FLOAT16 : DataType.FLOAT32;
        int sampleLength;
        if (config.model().architecture() == Architecture.ENCODER_DECODER) {
            SpanPairs pairs = SpanPairs.of(config.model(), data.eosId(), t.seed());
            sampleLength = pairs.sampleLength();
            this.assembler = (n, windows, indexOf) -> pairs.assemble(m, n, windows, indexOf);
        } else {
            sampleLength = config.model().seqLen() + 1;
            this.assembler = (n, windows, indexOf) -> assembleWindows(n, windows, b -> prefixLength(indexOf.applyAsLong(b)));
        }
        this.model = LanguageModel.create(manager, config.model(), t.seed(), compute);
        this.update = WeightUpdate.of(model.parameters(), new AdamW.Settings(t.beta1(), t.beta2(), t.eps(), t.weightDecay()));
        this.schedule = LrSchedule.of(t);
        // windows of sampleLength tokens: the sampler's and validation's seqLen + 1
        this.sampler = new Sampler(data.sources(), sampleLength - 1, t.seed());
        this.validation = new ValidationWindows(data.validation(), sampleLength - 1, t.evalSequences());
        this.gradients = new StepGradients(manager, model.parameters().all(), t.gradientReduction());
        this.state = TrainingState.start(t.seed(), LossScale.start(t.mixedPrecision()));
    }

    public TrainingState state() {
        return state;
    }

    public LanguageModel model() {
        return model;
    }

    /** The learning rate of the optimizer step with 0-based index {@code step}. */
    public double learningRate(long step) {
        return schedule.at(step);
    }

    /** The fp32 gradients of the last step (summed over micro-batches and ranks, loss-scaled in fp16), by weight name. */
    public Map<String, NDArray> gradients() {
        return gradients.mainGrads();
    }

    /** One step of a local run: this process computes every micro-batch. */
    public StepMetrics step() {
        return step(AllReduce.single());
    }

    /**
     * The next step as rank {@code group.rank()} of {@code group.ranks()}: forward and backward over
     * this rank's share of the micro-batches, the headers and gradients summed over the group, and
     * the update, which every rank applies identically. In exact mode a micro-batch that outgrew the
     * fixed-point grid on any rank makes every rank recompute its share on the grid widened to the
     * maxima of the micro-batches that did not fit (all ranks decide alike from the same merged
     * headers); the next step's grid is fitted to this step's summed gradient.
     *
     * @throws ablate.trainer.parallel.AllReduceException when a peer fails or misses the deadline
     */
    public StepMetrics step(AllReduce group) {
        long start = System.nanoTime();
        long step = state.step();
        int total = config.train().microBatches();
        MicroBatchRange mine = MicroBatchRange.of(group.rank(), group.ranks(), total);
        boolean exact = gradients.mode() == GradientReduction.EXACT;
        FixedPointGrid grid = state.grid();
        long computeStart = System.nanoTime();
        StepHeader local = computeGradients(step, mine, grid);
        double computeSeconds = (System.nanoTime() - computeStart) / 1e9;
        List<StepHeader> headers = gather(group, local);
        StepHeader merged = StepHeader.merge(headers, total);
        if (exact && !merged.nonFinite() && merged.overflow()) {
            grid = grid.widened(merged.maxAbs(), total);
            log.debug("step {}: gradients outgrew the fixed-point grid; recomputing on {}", step, grid);
            computeStart = System.nanoTime();
            local = computeGradients(step, mine, grid);
            computeSeconds += (System.nanoTime() - computeStart) / 1e9;
            headers = gather(group, local);
            merged = StepHeader.merge(headers, total);
            if (merged.overflow() && !merged.nonFinite()) {
                throw new IllegalStateException("step " + step + ": recomputing the step gave other gradients than the first"
                        + " pass (they no longer fit the grid widened to them); the backward pass is not deterministic"
                        + " on this machine");
            }
        }
        if (merged.nonFinite()) {
            log.warn("step {}: an inf/NaN gradient in {} (loss {}); the step is skipped", step + 1, nonFiniteTensors(merged), merged.loss());
        }
        double scale = state.lossScale().scale();
        WeightUpdate.Outcome outcome;
        FixedPointGrid next = state.grid();
        try (Torch.GradMode off = Torch.gradMode(false)) {
            Map<String, NDArray> summed = merged.nonFinite() ? gradients.poisoned() : gradients.reduce(group, grid);
            group.beforeUpdate(step + 1); // every rank holds the sum: applied on all of them or on none
            if (exact && !merged.nonFinite()) {
                // fitted to the summed (still loss-scaled) gradient, the same bits on every rank whatever their number
                next = FixedPointGrid.fitting(gradients.summedMaxAbs(), total, grid);
            }
            outcome = update.step(learningRate(step), scale, config.train().gradClip(), summed);
        }
        long samples = config.train().globalBatchSize();
        state = new TrainingState(step + 1, state.consumedSamples() + samples, state.tokens() + samples * tokensPerSequence,
                state.seed(), state.lossScale().after(outcome.skipped(), config.train().mixedPrecision()), next);
        List<MicroBatchRange> shares = headers.stream()
                .map(h -> new MicroBatchRange(h.firstMicroBatch(), h.firstMicroBatch() + h.losses().length)).toList();
        return new StepMetrics(state.step(), merged.loss(), learningRate(step), outcome.gradNorm(), state.tokens(),
                state.consumedSamples(), (System.nanoTime() - start) / 1e9,
                new StepMetrics.Scaling(state.lossScale().enabled(), scale, outcome.skipped()), shares, computeSeconds);
    }

    /** The weights whose gradient was inf or NaN somewhere in the step (as far as the ranks measured). */
    private String nonFiniteTensors(StepHeader merged) {
        List<String> names = new ArrayList<>(model.parameters().all().keySet());
        List<String> bad = new ArrayList<>();
        for (int t = 0; t < merged.maxAbs().length && t < names.size(); t++) {
            if (!Float.isFinite(merged.maxAbs()[t])) {
                bad.add(names.get(t) + "=" + merged.maxAbs()[t]);
            }
        }
        return bad.isEmpty() ? "an unmeasured tensor" : String.join(", ", bad);
    }

    /** Every rank's header, in rank order. */
    private static List<StepHeader> gather(AllReduce group, StepHeader mine) {
        List<StepHeader> all = new ArrayList<>(group.ranks());
        for (byte[] bytes : group.allGather(mine.toBytes())) {
            all.add(StepHeader.fromBytes(bytes));
        }
        return all;
    }

    /**
     * Forward and backward over micro-batches {@code range} of {@code step}, their gradients
     * summed into {@link StepGradients} (exact: only when they fit {@code grid}).
     */
    private StepHeader computeGradients(long step, MicroBatchRange range, FixedPointGrid grid) {
        int total = config.train().microBatches();
        LossScale scale = state.lossScale();
        double[] losses = new double[range.size()];
        float[] maxAbs = new float[gradients.tensors()];
        boolean nonFinite = false;
        boolean overflow = false;
        gradients.clear();
        try (Torch.GradMode autograd = Torch.gradMode(true)) {
            for (int micro = range.start(); micro < range.end(); micro++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    if (config.model().dropout() > 0) {
                        JniUtils.setSeed(Seeds.mix(state.seed(), step, micro, 0));
                    }
                    Batch b = batch(step, micro);
                    // scalars from Torch.scalar: the graph keeps them until backward (see there)
                    NDArray l = model.loss(b, true).div(Torch.scalar(manager, total));
                    autograd.backward(scale.enabled() ? l.mul(Torch.scalar(manager, (float) scale.scale())) : l);
                    losses[micro - range.start()] = l.getFloat();
                }
                StepGradients.Added added = gradients.add(grid, total);
                nonFinite |= !added.finite();
                for (int t = 0; t < maxAbs.length; t++) {
                    maxAbs[t] = Math.max(maxAbs[t], added.maxAbs()[t]);
                }
                overflow |= !added.added();
            }
        }
        return new StepHeader(step, range.start(), losses, maxAbs, nonFinite, overflow && !nonFinite);
    }

    /** Micro-batch {@code micro} (global index, in [0, micro-batches)) of step {@code step}. */
    public Batch batch(long step, int micro) {
        int mb = config.train().microBatchSize();
        long first = step * config.train().globalBatchSize() + (long) micro * mb;
        return assembler.assemble(mb, (b, window) -> sampler.sample(first + b, window), b -> first + b);
    }

    /** Mean loss over the validation windows (no dropout, no gradients), computed by this process alone. */
    public double validationLoss() {
        return validationLoss(AllReduce.single());
    }

    /**
     * Mean loss over the validation windows, shared by the group: batch k of micro-batch-size
     * windows goes to the rank whose {@link MicroBatchRange} holds k, and the batch totals are
     * added in batch order on every rank, so the value does not depend on the group's size.
     */
    public double validationLoss(AllReduce group) {
        int mb = config.train().microBatchSize();
        int count = validation.size();
        int batches = (count + mb - 1) / mb;
        MicroBatchRange mine = MicroBatchRange.of(group.rank(), group.ranks(), batches);
        ByteBuffer totals = ByteBuffer.allocate(8 * mine.size());
        try (Torch.GradMode off = Torch.gradMode(false)) {
            for (int k = mine.start(); k < mine.end(); k++) {
                int first = k * mb;
                int n = Math.min(mb, count - first);
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Batch b = assembler.assemble(n, (i, window) -> validation.window(first + i, window), i -> -1 - (first + i));
                    totals.putDouble(model.loss(b, false).getFloat() * (double) n);
                }
            }
        }
        double total = 0;
        for (byte[] rank : group.allGather(totals.array())) {
            ByteBuffer values = ByteBuffer.wrap(rank);
            while (values.hasRemaining()) {
                total += values.getDouble();
            }
        }
        return total / count;
    }

    /** Fills sample b (seq-len + 1 tokens of a decoder's window, or an encoder-decoder's longer sample) of a batch. */
    interface Windows {
        void fill(int b, int[] window);
    }

    /** Makes a micro-batch of n samples, {@code indexOf} giving sample b's index (-1 - j for validation window j). */
    private interface Assembler {
        Batch assemble(int n, Windows windows, IntToLongFunction indexOf);
    }

    /** Inputs are a window's first seq-len tokens, targets its last seq-len. */
    private Batch.Windows assembleWindows(int n, Windows windows, IntToLongFunction prefixOf) {
        int seq = config.model().seqLen();
        long[] inputs = new long[n * seq];
        long[] targets = new long[n * seq];
        long[] prefix = new long[n];
        int[] window = new int[seq + 1];
        for (int b = 0; b < n; b++) {
            windows.fill(b, window);
            for (int t = 0; t < seq; t++) {
                inputs[b * seq + t] = window[t];
                targets[b * seq + t] = window[t + 1];
            }
            prefix[b] = prefixOf.applyAsLong(b);
        }
        return new Batch.Windows(manager.create(inputs, new Shape(n, seq)), manager.create(targets, new Shape(n, seq)),
                manager.create(prefix, new Shape(n)));
    }

    /** Prefix-LM split point of sample i, in [1, seq-len - 1]; 0 for causal models. */
    long prefixLength(long sample) {
        if (config.model().attentionMask() != AttentionMask.PREFIX) {
            return 0;
        }
        int seq = config.model().seqLen();
        return 1 + Math.floorMod(Seeds.mix(state.seed(), sample, 0x5052_4546L, 0), Math.max(1, seq - 1));
    }

    /**
     * A digest of everything a step changes: the weights (fp32 masters in fp16), AdamW's moments and
     * the training state (step, data position, loss scale, fixed-point grid). Replicas that stand at
     * the same step with the same state have the same digest; it is how a group that lost a rank
     * proves its survivors can carry on from memory.
     */
    public long stateDigest() {
        long h = 0x6A09E667F3BCC908L;
        try {
            for (byte b : state.toJson()) {
                h = (h ^ b) * 0x100000001B3L;
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (NDArray a : update.weights().values()) {
            h = digest(h, a);
        }
        for (NDArray a : update.optimizerState().values()) {
            h = digest(h, a);
        }
        return h;
    }

    private static long digest(long h, NDArray a) {
        ByteBuffer bytes = a.toByteBuffer(!a.getDevice().isGpu()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.LongBuffer longs = bytes.asLongBuffer();
        while (longs.hasRemaining()) {
            h = Long.rotateLeft(h ^ longs.get(), 27) * 0x9E3779B97F4A7C15L;
        }
        for (int i = bytes.limit() - bytes.limit() % 8; i < bytes.limit(); i++) {
            h = (h ^ bytes.get(i)) * 0x100000001B3L;
        }
        return h;
    }

    /** What a checkpoint of the current state holds. */
    public Checkpoint.Contents checkpointContents(String resolvedConfig, List<String> metrics) {
        return new Checkpoint.Contents(update.weights(), update.optimizerState(), state, resolvedConfig, metrics);
    }

    /**
     * Loads weights, optimizer moments, position, loss scale and fixed-point grid from a
     * checkpoint. A run that switches to fp16 at a resume starts the loss scale afresh; one that
     * switches to fp32 drops it.
     */
    public void restore(Checkpoint checkpoint) throws IOException {
        TrainingState restored = checkpoint.state();
        if (restored.seed() != config.train().seed()) {
            throw new ablate.trainer.data.InvalidFileException(checkpoint.dir() + " was trained with seed " + restored.seed() + ", the config says "
                    + config.train().seed());
        }
        checkpoint.loadModel(update.weights());
        checkpoint.loadOptimizer(update.optimizerState());
        update.restored(restored.optimizerSteps());
        LossScale scale = restored.lossScale().enabled() == config.train().mixedPrecision().scaled()
                ? restored.lossScale()
                : LossScale.start(config.train().mixedPrecision());
        FixedPointGrid grid = restored.grid().tensors() == gradients.tensors() ? restored.grid() : TrainingState.NO_GRID;
        state = new TrainingState(restored.step(), restored.consumedSamples(), restored.tokens(), restored.seed(), scale, grid);
    }

    @Override
    public void close() {
        gradients.close();
        update.close();
        model.close();
        manager.close();
    }
}
