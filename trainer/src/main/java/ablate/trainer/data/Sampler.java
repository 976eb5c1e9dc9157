package ablate.trainer.data;

import java.util.List;

/**
 * The training sample sequence: sample {@code i} is a pure function of (seed, i, sources, seqLen).
 *
 * <p>That purity is the point. A run resumed on a different number of data-parallel ranks, or a
 * rank that skips ahead, asks for sample indices and gets exactly the samples the uninterrupted run
 * would have seen, with no sampler state in the checkpoint beyond the step.
 *
 * <p>Each source is cut into windows of {@code seqLen + 1} tokens starting at multiples of
 * {@code seqLen}, so consecutive windows share one token, as in nanoGPT and Megatron: inputs are
 * {@code x[0..T)} and targets {@code x[1..T]}. Sources are interleaved by Megatron's blending rule
 * ({@link BlendSchedule}); the k-th sample of a source is window {@code perm_e(k mod W)} of epoch
 * {@code e = k / W}, where {@code perm_e} is a {@link FeistelPermutation} keyed by (seed, source,
 * epoch), so every epoch visits every window once, in a new order.
 */
public final class Sampler {

    /** Where sample {@code i} comes from: a source, that source's epoch, and a window index within it. */
    public record Draw(int source, long epoch, long window) {}

    private final List<Source> sources;
    private final int seqLen;
    private final long seed;
    private final long[] windows;
    private final BlendSchedule schedule;

    /**
     * @throws IllegalArgumentException naming the source when one is shorter than a window
     */
    public Sampler(List<Source> sources, int seqLen, long seed) {
        this.sources = List.copyOf(sources);
        if (this.sources.isEmpty()) {
            throw new IllegalArgumentException("a sampler needs at least one source");
        }
        if (seqLen < 1) {
            throw new IllegalArgumentException("seqLen must be positive: " + seqLen);
        }
        this.seqLen = seqLen;
        this.seed = seed;
        this.windows = new long[this.sources.size()];
        for (int k = 0; k < windows.length; k++) {
            Source source = this.sources.get(k);
            long length = source.stream().length();
            if (length < seqLen + 1L) {
                throw new IllegalArgumentException("source " + source.name() + " has " + length
                        + " tokens, fewer than one window of seqLen + 1 = " + (seqLen + 1L));
            }
            windows[k] = (length - 1) / seqLen;
        }
        this.schedule = new BlendSchedule(this.sources.stream().mapToDouble(Source::weight).toArray());
    }

    /** Fills {@code dst} (length {@code seqLen + 1}) with sample {@code i}. */
    public void sample(long i, int[] dst) {
        if (dst.length != seqLen + 1) {
            throw new IllegalArgumentException("dst must hold seqLen + 1 = " + (seqLen + 1) + " tokens, not " + dst.length);
        }
        Draw draw = locate(i);
        sources.get(draw.source()).stream().read(draw.window() * seqLen, dst);
    }

    /** The source sample {@code i} is drawn from. */
    public int sourceOf(long i) {
        return schedule.assign(i).source();
    }

    /** Source, epoch and window of sample {@code i}, e.g. to log how far into an epoch a run is. */
    public Draw locate(long i) {
        BlendSchedule.Assignment assignment = schedule.assign(i);
        int source = assignment.source();
        long w = windows[source];
        long epoch = assignment.ordinal() / w;
        var permutation = new FeistelPermutation(w, Mix64.hash(Mix64.hash(seed, source), epoch));
        return new Draw(source, epoch, permutation.apply(assignment.ordinal() % w));
    }

    /** Number of windows in one epoch of {@code source}. */
    public long windowsPerEpoch(int source) {
        return windows[source];
    }

    public int seqLen() {
        return seqLen;
    }

    public List<Source> sources() {
        return sources;
    }
}
