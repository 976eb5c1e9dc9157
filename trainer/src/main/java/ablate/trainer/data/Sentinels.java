package ablate.trainer.data;

import ablate.conf.ModelConfig;
import ablate.conf.SettingsException;

/**
 * The sentinel ids span corruption marks spans with, taken from the top of the padded vocabulary
 * as T5 takes its extra_ids (Raffel et al. 2020): sentinel i is {@code paddedVocab - 1 - i}.
 *
 * <p>The top, because the rows that padding adds there (model.pad-vocab-to-multiple-of) are
 * embedding rows no tokenizer id uses: sentinels cost no change to a tokenizer and no extra
 * weights as long as the padding holds them, and a tokenizer that grows keeps its ids. The
 * tokenizer's ids (below model.vocab-size) must stay below the first sentinel.
 *
 * @param paddedVocab rows of the embedding matrix
 * @param count sentinels reserved: the most spans a sample may have
 */
public record Sentinels(int paddedVocab, int count) {

    public Sentinels {
        if (count < 1 || count > paddedVocab) {
            throw new IllegalArgumentException(count + " sentinels do not fit a vocabulary of " + paddedVocab);
        }
    }

    /**
     * {@code count} sentinels above the tokenizer's ids of {@code model}.
     *
     * @throws SettingsException naming model.pad-vocab-to-multiple-of and model.vocab-size, with a
     *     padding that would hold them, when the padding is too small
     */
    public static Sentinels reserve(ModelConfig model, int count) {
        int padded = model.paddedVocab();
        int vocab = model.vocabSize();
        if (vocab > padded - count) {
            int multiple = model.padVocabToMultipleOf();
            while (Math.ceilDiv(vocab, multiple) * (long) multiple - vocab < count) {
                multiple *= 2;
            }
            throw SettingsException.of("model.pad-vocab-to-multiple-of", "span corruption needs " + count
                    + " sentinel ids at the top of the padded vocabulary (sentinel i = " + (padded - 1) + " - i), but"
                    + " model.vocab-size = " + vocab + " padded to a multiple of " + model.padVocabToMultipleOf() + " is "
                    + padded + ", leaving " + (padded - vocab) + "; the tokenizer's ids must stay below the first sentinel:"
                    + " raise model.pad-vocab-to-multiple-of to " + multiple + " (padding to "
                    + Math.ceilDiv(vocab, multiple) * (long) multiple + ")");
        }
        return new Sentinels(padded, count);
    }

    /** Sentinel {@code i}, 0 for the first span. */
    public int id(int i) {
        if (i < 0 || i >= count) {
            throw new IllegalArgumentException("sentinel " + i + " is not among the " + count + " reserved");
        }
        return paddedVocab - 1 - i;
    }

    /** The lowest sentinel id; every real token is below it. */
    public int first() {
        return paddedVocab - count;
    }

    public boolean isSentinel(int id) {
        return id >= first() && id < paddedVocab;
    }

    /** Which sentinel {@code id} is. */
    public int indexOf(int id) {
        if (!isSentinel(id)) {
            throw new IllegalArgumentException(id + " is not a sentinel");
        }
        return paddedVocab - 1 - id;
    }
}
