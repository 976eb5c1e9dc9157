package ablate.trainer.model;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * What a run trains, on the architecture axis of Wang et al. 2022: a decoder ({@link Gpt}, causal
 * or non-causal) or an encoder-decoder ({@link EncoderDecoder}). The trainer needs only its named
 * weights and the loss of a micro-batch.
 */
public sealed interface LanguageModel extends AutoCloseable permits Gpt, EncoderDecoder {

    ModelConfig config();

    /** The named weights, in creation order. */
    Parameters parameters();

    /**
     * Mean cross-entropy over the batch's predicted tokens, a scalar in fp32.
     *
     * @throws IllegalArgumentException for a batch of the other architecture's kind
     */
    NDArray loss(Batch batch, boolean training);

    @Override
    void close();

    /**
     * The model {@code config} describes, its initial weights drawn from {@code seed}.
     *
     * @param dataType FLOAT32, or FLOAT16 for mixed precision (see {@link Gpt})
     */
    static LanguageModel create(NDManager manager, ModelConfig config, long seed, DataType dataType) {
        return config.architecture() == Architecture.ENCODER_DECODER
                ? new EncoderDecoder(manager, config, seed, true, dataType)
                : new Gpt(manager, config, seed, true, dataType);
    }

    /**
     * The model {@code config} describes with every weight zero, in fp32: what a checkpoint is
     * loaded into to be scored or exported.
     */
    static LanguageModel toLoad(NDManager manager, ModelConfig config) {
        return config.architecture() == Architecture.ENCODER_DECODER
                ? new EncoderDecoder(manager, config, 0, false)
                : new Gpt(manager, config, 0, false);
    }
}
