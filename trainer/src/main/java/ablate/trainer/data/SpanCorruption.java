package ablate.trainer.data;

import ablate.conf.ModelConfig;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * T5's span corruption (Raffel et al. 2020, §3.1.4 and §3.3.4; t5.data.preprocessors.span_corruption):
 * a sample's tokens become an encoder input, where each noise span is replaced by one sentinel,
 * and a decoder target, the sentinels each followed by the span it replaced:
 * <pre>
 *   tokens   T0 N0 T1 N1 T2 N2          (T kept spans, N noise spans; a sample starts with a kept span)
 *   encoder  T0 s0 T1 s1 T2 s2 EOS
 *   decoder  s0 N0 s1 N1 s2 N2 EOS
 * </pre>
 * The noise mask is T5's random_spans_noise_mask: {@link SpanNoise#counts} fixes how many tokens
 * and spans are noise, and two random segmentations (T5's _random_segmentation: a uniformly random
 * split of n items into k non-empty runs) give the lengths of the noise spans and of the kept spans,
 * which alternate.
 *
 * <p>The mask of a sample is a pure function of (seed, the sample's global index, its length), the
 * project's counter-based seeding: a resumed run and any number of data-parallel ranks corrupt a
 * sample alike, with nothing to save in a checkpoint.
 *
 * @param eosId the tokenizer's end-of-document id, which ends both sequences as in T5
 * @param seed the run's train.seed
 */
public record SpanCorruption(SpanNoise noise, Sentinels sentinels, int eosId, long seed) {

    /** Keeps these draws apart from every other draw keyed by (seed, sample). */
    private static final long STREAM = 0x5350_414EL; // "SPAN"

    /** An encoder input and its decoder target; the arrays belong to the caller. */
    public record Corrupted(int[] encoderInput, int[] decoderTarget) {}

    public SpanCorruption {
        if (eosId < 0 || eosId >= sentinels.first()) {
            throw new IllegalArgumentException("the EOS id " + eosId + " must be a real token, below the first sentinel "
                    + sentinels.first());
        }
    }

    /**
     * Span corruption of samples of up to {@code length} tokens for {@code model}, its sentinels at
     * the top of the padded vocabulary ({@link Sentinels#reserve}).
     *
     * @throws ablate.conf.SettingsException when the vocabulary's padding cannot hold the sentinels
     */
    public static SpanCorruption of(ModelConfig model, SpanNoise noise, int length, int eosId, long seed) {
        // span counts never fall as a sample grows, so the longest sample needs the most sentinels
        return new SpanCorruption(noise, Sentinels.reserve(model, noise.counts(length).sentinels()), eosId, seed);
    }

    /** Which of {@code length} tokens sample {@code index} hides. */
    public boolean[] noiseMask(int length, long index) {
        SpanCounts counts = noise.counts(length);
        boolean[] mask = new boolean[length];
        if (counts.noiseSpans() == 0) {
            return mask;
        }
        var random = new SplittableRandom(Mix64.hash(Mix64.hash(seed, STREAM), index));
        int[] noiseSpans = segment(counts.noiseTokens(), counts.noiseSpans(), random);
        int[] keptSpans = segment(length - counts.noiseTokens(), counts.noiseSpans(), random);
        int p = 0;
        for (int i = 0; i < noiseSpans.length; i++) {
            p += keptSpans[i];
            Arrays.fill(mask, p, p + noiseSpans[i], true);
            p += noiseSpans[i];
        }
        return mask;
    }

    /**
     * Sample {@code index}, {@code tokens}, corrupted.
     *
     * @throws IllegalArgumentException when a token is not a real id below the sentinels, or the
     *     sample is longer than this instance reserved sentinels for
     */
    public Corrupted apply(int[] tokens, long index) {
        SpanCounts counts = noise.counts(tokens.length);
        if (counts.sentinels() > sentinels.count()) {
            throw new IllegalArgumentException("a sample of " + tokens.length + " tokens needs " + counts.sentinels()
                    + " sentinels; " + sentinels.count() + " were reserved");
        }
        for (int t : tokens) {
            if (t < 0 || t >= sentinels.first()) {
                throw new IllegalArgumentException("token " + t + " is not a real id below the first sentinel " + sentinels.first());
            }
        }
        boolean[] mask = noiseMask(tokens.length, index);
        return new Corrupted(collapse(tokens, mask, true, counts.encoderLength()),
                collapse(tokens, mask, false, counts.decoderLength()));
    }

    /** The tokens a corrupted sample came from: each sentinel of the input replaced by what follows it in the target. */
    public int[] restore(Corrupted corrupted) {
        int[] input = corrupted.encoderInput();
        int[] target = corrupted.decoderTarget();
        if (input.length == 0 || input[input.length - 1] != eosId || target.length == 0 || target[target.length - 1] != eosId) {
            throw new IllegalArgumentException("a corrupted sample's input and target both end with EOS " + eosId);
        }
        int[] spanStart = new int[sentinels.count()];
        int[] spanEnd = new int[sentinels.count()];
        Arrays.fill(spanStart, -1);
        for (int j = 0, open = -1; j < target.length; j++) {
            boolean boundary = j == target.length - 1 || sentinels.isSentinel(target[j]);
            if (boundary && open >= 0) {
                spanEnd[open] = j;
            }
            if (boundary && j < target.length - 1) {
                open = sentinels.indexOf(target[j]);
                spanStart[open] = j + 1;
            }
        }
        int[] out = new int[input.length - 1 + target.length];
        int n = 0;
        for (int i = 0; i < input.length - 1; i++) {
            if (!sentinels.isSentinel(input[i])) {
                out[n++] = input[i];
                continue;
            }
            int s = sentinels.indexOf(input[i]);
            if (spanStart[s] < 0) {
                throw new IllegalArgumentException("sentinel " + input[i] + " of the input is not in the target");
            }
            System.arraycopy(target, spanStart[s], out, n, spanEnd[s] - spanStart[s]);
            n += spanEnd[s] - spanStart[s];
        }
        return Arrays.copyOf(out, n);
    }

    /** {@code tokens} with every run where {@code mask == replaced} collapsed into the next sentinel, then EOS. */
    private int[] collapse(int[] tokens, boolean[] mask, boolean replaced, int length) {
        int[] out = new int[length];
        int n = 0;
        int sentinel = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (mask[i] != replaced) {
                out[n++] = tokens[i];
            } else if (i == 0 || mask[i - 1] != replaced) {
                out[n++] = sentinels.id(sentinel++);
            }
        }
        out[n++] = eosId;
        if (n != length) {
            throw new IllegalStateException("collapsed " + tokens.length + " tokens into " + n + ", expected " + length);
        }
        return out;
    }

    /**
     * T5's _random_segmentation: {@code items} cut into {@code segments} non-empty runs, every such
     * cut equally likely. T5 shuffles a vector of segments - 1 ones among the items - 1 gaps; a
     * partial Fisher-Yates shuffle of the gaps draws the same distribution.
     */
    private static int[] segment(int items, int segments, SplittableRandom random) {
        int[] gaps = new int[items - 1];
        for (int g = 0; g < gaps.length; g++) {
            gaps[g] = g + 1;
        }
        boolean[] startsSegment = new boolean[items];
        for (int i = 0; i < segments - 1; i++) {
            int j = random.nextInt(i, gaps.length);
            int t = gaps[i];
            gaps[i] = gaps[j];
            gaps[j] = t;
            startsSegment[gaps[i]] = true;
        }
        int[] lengths = new int[segments];
        for (int item = 0, s = -1; item < items; item++) {
            if (item == 0 || startsSegment[item]) {
                s++;
            }
            lengths[s]++;
        }
        return lengths;
    }
}
