package ablate.trainer.run;

import ablate.conf.ModelConfig;
import ablate.trainer.data.SpanCorruption;
import ablate.trainer.data.SpanCounts;
import ablate.trainer.data.SpanNoise;
import ablate.trainer.model.Batch;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.function.IntToLongFunction;

/**
 * The micro-batches of an encoder-decoder trained with span corruption (T5, Raffel et al. 2020):
 * each sample of {@link #sampleLength} tokens, the longest whose corrupted input fits seq-len
 * ({@link SpanNoise#forEncoderLength}: 568 tokens for 512), becomes an encoder input of S tokens
 * and a decoder target of T tokens (512 and 114); every sample of a run has the same length, so
 * no row is padded.
 *
 * <p>The decoder reads the target shifted right behind a start token, EOS: BART's convention
 * (Lewis et al. 2020, decoder_start_token_id = eos). T5 starts with its pad id 0, which here is a
 * real token (byte 0); EOS costs no extra id and, since the target ends with it and the shift drops
 * the target's last token, it is the only place the decoder reads EOS.
 *
 * @param corruption seeded by train.seed: sample i is corrupted as sample i, whatever the step,
 *     rank or resume (validation window j as sample -1 - j)
 */
record SpanPairs(SpanCorruption corruption, SpanCounts counts) {

    /**
     * The pairs of {@code model}'s seq-len.
     *
     * @throws ablate.conf.SettingsException naming model.pad-vocab-to-multiple-of when the padded
     *     vocabulary cannot hold the sentinels
     */
    static SpanPairs of(ModelConfig model, int eosId, long seed) {
        SpanCounts counts = counts(model);
        return new SpanPairs(SpanCorruption.of(model, SpanNoise.T5, counts.length(), eosId, seed), counts);
    }

    /** The span counts of a sample of {@code model}: T5's noise, the longest sample whose input fits seq-len. */
    static SpanCounts counts(ModelConfig model) {
        return SpanNoise.T5.forEncoderLength(model.seqLen());
    }

    /** Tokens of one sample before corruption. */
    int sampleLength() {
        return counts.length();
    }

    /**
     * A micro-batch of {@code n} samples.
     *
     * @param windows fills sample b's {@link #sampleLength} tokens
     * @param indexOf sample b's index for the corruption's draw
     */
    Batch.Pairs assemble(NDManager manager, int n, Trainer.Windows windows, IntToLongFunction indexOf) {
        int s = counts.encoderLength();
        int t = counts.decoderLength();
        long[] encoder = new long[n * s];
        long[] decoder = new long[n * t];
        long[] targets = new long[n * t];
        long[] lengths = new long[n];
        int[] sample = new int[sampleLength()];
        for (int b = 0; b < n; b++) {
            windows.fill(b, sample);
            SpanCorruption.Corrupted pair = corruption.apply(sample, indexOf.applyAsLong(b));
            int[] input = pair.encoderInput();
            int[] target = pair.decoderTarget();
            for (int i = 0; i < s; i++) {
                encoder[b * s + i] = input[i];
            }
            decoder[b * t] = corruption.eosId();
            for (int i = 0; i < t; i++) {
                targets[b * t + i] = target[i];
                if (i + 1 < t) {
                    decoder[b * t + i + 1] = target[i];
                }
            }
            lengths[b] = s;
        }
        return new Batch.Pairs(manager.create(encoder, new Shape(n, s)), manager.create(lengths, new Shape(n)),
                manager.create(decoder, new Shape(n, t)), manager.create(targets, new Shape(n, t)));
    }
}
