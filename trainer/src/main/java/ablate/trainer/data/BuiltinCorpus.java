package ablate.trainer.data;

import java.util.Arrays;

/**
 * A corpus generated in memory from a seed, so that tests, demos and CPU ablations need no
 * download and no prepared directory. See {@link SyntheticText} for what the text exercises.
 *
 * <p>Validation documents come from a separate index range, so no validation document is also a
 * training document, however many of either are asked for.
 */
public final class BuiltinCorpus {

    /** First document index of the validation split; far beyond any training document count. */
    static final long VAL_INDEX_OFFSET = 1L << 40;

    /** First document index of the held-out probe range (zero-shot probe tasks); beyond training and validation. */
    static final long PROBE_INDEX_OFFSET = 1L << 41;

    private BuiltinCorpus() {}

    /** Held-out document {@code index} for {@code seed}: never a training or validation document. */
    public static String heldOut(long seed, long index) {
        return document(seed, PROBE_INDEX_OFFSET + index);
    }

    /** The text of document {@code index} for {@code seed}; a pure function of both. */
    public static String document(long seed, long index) {
        if (index < 0) {
            throw new IllegalArgumentException("document index must be non-negative: " + index);
        }
        return SyntheticText.document(seed, index);
    }

    /**
     * Tokenizes {@code trainDocuments} documents (indices 0..) and {@code valDocuments} documents
     * (indices from {@link #VAL_INDEX_OFFSET}), each followed by the tokenizer's EOS.
     */
    public static Corpus build(long seed, int trainDocuments, int valDocuments, Tokenizer tok) {
        if (trainDocuments < 1 || valDocuments < 0) {
            throw new IllegalArgumentException("need at least one train document and no negative counts: train "
                    + trainDocuments + ", val " + valDocuments);
        }
        return new Corpus(
                new ArrayTokenStream(tokens(seed, 0, trainDocuments, tok)),
                new ArrayTokenStream(tokens(seed, VAL_INDEX_OFFSET, valDocuments, tok)));
    }

    private static int[] tokens(long seed, long firstIndex, int documents, Tokenizer tok) {
        int[] out = new int[1 << 16];
        int length = 0;
        for (int i = 0; i < documents; i++) {
            int[] ids = tok.encode(document(seed, firstIndex + i));
            int needed = Math.addExact(length, ids.length + 1);
            if (needed > out.length) {
                out = Arrays.copyOf(out, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(2L * out.length, needed)));
            }
            System.arraycopy(ids, 0, out, length, ids.length);
            length += ids.length;
            out[length++] = tok.eosId();
        }
        return Arrays.copyOf(out, length);
    }
}
