package ablate.trainer.data;

/**
 * What span corruption makes of a sequence of {@code length} tokens ({@link SpanNoise#counts}):
 * how many of its tokens are noise, in how many spans, and so how long the encoder input and the
 * decoder target are. Which tokens are noise is drawn per sample; these counts are not.
 *
 * <p>T5's mask starts with a non-noise span and alternates, ending with a noise span, so the input
 * holds the non-noise tokens and one sentinel per noise span, the target the noise tokens and one
 * sentinel per non-noise span, and the two span counts agree; each ends with EOS. A one-token
 * sequence has no noise and one non-noise span.
 */
public record SpanCounts(int length, int noiseTokens, int noiseSpans) {

    public SpanCounts {
        if (length < 1 || noiseTokens < 0 || noiseTokens >= Math.max(length, 2) || noiseSpans > noiseTokens
                || (noiseTokens > 0) != (noiseSpans > 0) || noiseSpans > length - noiseTokens) {
            throw new IllegalArgumentException("impossible span counts: " + noiseTokens + " noise tokens in " + noiseSpans
                    + " spans of a " + length + "-token sequence");
        }
    }

    /** Spans of kept tokens, each replaced by one sentinel in the target. */
    public int nonNoiseSpans() {
        return noiseSpans == 0 ? 1 : noiseSpans;
    }

    /** Sentinel ids a sequence of this length uses. */
    public int sentinels() {
        return nonNoiseSpans();
    }

    /** Kept tokens, a sentinel per noise span, EOS. */
    public int encoderLength() {
        return length - noiseTokens + noiseSpans + 1;
    }

    /** Noise tokens, a sentinel per non-noise span, EOS. */
    public int decoderLength() {
        return noiseTokens + nonNoiseSpans() + 1;
    }
}
