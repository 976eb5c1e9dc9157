package ablate.trainer.data;

/**
 * How much of a sequence span corruption hides, and in how long spans: T5's noise_density and
 * mean_noise_span_length (Raffel et al. 2020, §3.3.4; t5.data.preprocessors.random_spans_noise_mask
 * and random_spans_helper). The paper's choice, {@link #T5}, hides 15% of the tokens in spans of
 * mean length 3.
 *
 * <p>Counts are rounded half to even in double precision, as Python's {@code round} in T5's
 * random_spans_helper does. T5's mask itself rounds in float32, which disagrees with its own
 * helper at a few lengths (30 tokens at 0.15: 4.5 noise tokens, float32 4.5000002); here the mask
 * and the lengths use one rule, so the lengths {@link #forEncoderLength} promises are the lengths
 * {@link SpanCorruption} produces.
 *
 * @param density fraction of the tokens hidden, in (0, 1): 0 would leave the decoder nothing to
 *     predict, and T5 fails on 1 for all but the shortest sequences (it keeps one token and then
 *     cannot cut it into as many non-noise spans as there are noise spans)
 * @param meanSpanLength mean length of a hidden span, at least 1 (below that T5 asks for more spans
 *     than there are noise tokens)
 */
public record SpanNoise(double density, double meanSpanLength) {

    /** Raffel et al.'s choice: 15% of the tokens, spans of mean length 3. */
    public static final SpanNoise T5 = new SpanNoise(0.15, 3.0);

    public SpanNoise {
        if (!(density > 0 && density < 1)) {
            throw new IllegalArgumentException("span corruption's noise density must be in (0, 1), got " + density);
        }
        if (!(meanSpanLength >= 1 && Double.isFinite(meanSpanLength))) {
            throw new IllegalArgumentException("span corruption's mean span length must be a finite number >= 1, got " + meanSpanLength);
        }
    }

    /**
     * The counts of a sequence of {@code length} tokens, with T5's guards against degenerate masks:
     * at least one noise and one non-noise token, at least one span, and a one-token sequence left
     * whole (T5 draws its mask for two tokens and keeps the first, which is never noise). One guard
     * is added: never more noise spans than non-noise tokens, which only binds where T5 itself
     * fails (a density near 1).
     */
    public SpanCounts counts(int length) {
        if (length < 1) {
            throw new IllegalArgumentException("span corruption needs at least one token, got " + length);
        }
        if (length == 1) {
            return new SpanCounts(1, 0, 0);
        }
        int noise = (int) Math.min(Math.max(Math.rint(length * density), 1), length - 1);
        int spans = (int) Math.max(Math.rint(noise / meanSpanLength), 1);
        return new SpanCounts(length, noise, Math.min(spans, length - noise));
    }

    /**
     * T5's random_spans_helper (with one sentinel per span in the input and in the target, and one
     * EOS ending each): the counts of the longest sequence whose encoder input fits
     * {@code encoderLength} tokens. Its {@link SpanCounts#length()} is T5's tokens_length and its
     * {@link SpanCounts#decoderLength()} T5's targets_length: 568 and 114 for 512 at {@link #T5}.
     * T5's helper shortens both by one at density 0.5 to make the targets a round number; that is
     * left out, so the counts returned are exactly those of their length.
     */
    public SpanCounts forEncoderLength(int encoderLength) {
        if (encoderLength < 2) {
            throw new IllegalArgumentException("an encoder input holds at least one token and the EOS, got length " + encoderLength);
        }
        int length = encoderLength - 1; // its input is at most length + 1 long: spans never outnumber noise tokens
        while (counts(length + 1).encoderLength() <= encoderLength) {
            length++;
        }
        return counts(length);
    }
}
