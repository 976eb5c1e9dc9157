package ablate.trainer.model;

import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The largest shapes this code can build, train and checkpoint, checked before anything is
 * allocated or written, so that a shape beyond them fails at start naming its key and the bound
 * rather than with an overflowed array size or a checkpoint that cannot be saved hours later.
 *
 * <p>The bounds come from the code paths that index with an int:
 * <ul>
 *   <li>one weight tensor holds at most {@link #MAX_TENSOR_ELEMENTS} elements: a checkpoint writes
 *       each tensor from one {@code ByteBuffer} and reads it into one {@code float[]} through one
 *       mapped buffer, all limited to 2^31 - 1 bytes; weights are initialized from one {@code float[]};
 *   <li>the attention mask is built as one {@code float[seq-len * seq-len]} (times heads with
 *       ALiBi), so seq-len is at most {@link #MAX_ATTENTION_SEQ_LEN} (46,340^2 is the last square
 *       below 2^31);
 *   <li>a micro-batch's tokens are indexed as {@code b * seq-len + t}: at most 2^31 - 1 of them.
 * </ul>
 * ModelConfig's own bounds keep the sizes computed from a shape exact; these are narrower, and
 * apply only where a model is built (the 176b preset is refused here but can still be planned).
 */
public final class ShapeLimits {

    /** fp32 elements in 2^31 - 1 bytes. */
    public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE / Float.BYTES;
    /** The largest n with n * n below 2^31. */
    public static final int MAX_ATTENTION_SEQ_LEN = 46_340;

    private ShapeLimits() {}

    /**
     * Checks a model and its micro-batch, naming the key and where it was set.
     *
     * @throws SettingsException naming the key, the size it leads to and the bound
     */
    public static void check(RunConfig run) {
        UnaryOperator<String> origin = key -> Settings.originOf(run.source(), key);
        checkModel(run.model(), origin);
        long tokens = (long) run.train().microBatchSize() * run.model().seqLen();
        if (tokens > Integer.MAX_VALUE) {
            throw fail("train.micro-batch-size", origin, String.format(Locale.ROOT,
                    "%,d sequences of model.seq-len = %,d are %,d tokens, above the %,d one micro-batch can index",
                    run.train().microBatchSize(), run.model().seqLen(), tokens, Integer.MAX_VALUE));
        }
    }

    /**
     * Checks a model's shape where no config file is known (a model built for eval or import).
     *
     * @throws SettingsException naming the key, the size it leads to and the bound
     */
    public static void check(ModelConfig model) {
        checkModel(model, key -> "");
    }

    private static void checkModel(ModelConfig m, UnaryOperator<String> origin) {
        long d = m.dModel();
        tensor("model.vocab-size", origin, "the token embedding (padded vocabulary " + m.paddedVocab() + " x d-model " + d + ")",
                m.paddedVocab() * d);
        if (m.position() == Position.LEARNED) {
            tensor("model.seq-len", origin, "the position embedding (seq-len " + m.seqLen() + " x d-model " + d + ")", m.seqLen() * d);
        }
        long qkvRows = (long) (m.heads() + 2 * m.keyValueHeads()) * m.headDim();
        tensor("model.d-model", origin, "the fused QKV projection (" + qkvRows + " x d-model " + d + ")", qkvRows * d);
        String mlpKey = m.mlpHiddenSize() > 0 ? "model.mlp-hidden" : m.ffnHidden() > 0 ? "model.ffn-hidden" : "model.d-model";
        tensor(mlpKey, origin, "an MLP matrix (hidden " + m.mlpHidden() + " x d-model " + d + ")", m.mlpHidden() * d);
        if (m.seqLen() > MAX_ATTENTION_SEQ_LEN) {
            throw fail("model.seq-len", origin, String.format(Locale.ROOT,
                    "%,d is above %,d: the attention mask of seq-len x seq-len entries would pass the %,d one Java array holds",
                    m.seqLen(), MAX_ATTENTION_SEQ_LEN, Integer.MAX_VALUE));
        }
        long alibi = (long) m.heads() * m.seqLen() * m.seqLen();
        if (m.position() == Position.ALIBI && alibi > Integer.MAX_VALUE) {
            throw fail("model.seq-len", origin, String.format(Locale.ROOT,
                    "with ALiBi the biases of %,d heads x %,d x %,d positions are %,d entries, above the %,d one Java array holds",
                    m.heads(), m.seqLen(), m.seqLen(), alibi, Integer.MAX_VALUE));
        }
    }

    private static void tensor(String key, UnaryOperator<String> origin, String what, long elements) {
        if (elements > MAX_TENSOR_ELEMENTS) {
            throw fail(key, origin, String.format(Locale.ROOT,
                    "%s has %,d elements, above the %,d (2 GiB of fp32) a single tensor is limited to here", what, elements,
                    MAX_TENSOR_ELEMENTS));
        }
    }

    private static SettingsException fail(String key, UnaryOperator<String> origin, String problem) {
        return new SettingsException(key, origin.apply(key), problem);
    }
}
