package ablate.trainer.model;

import ai.djl.ndarray.NDArray;

/** One micro-batch as arrays, of the kind a {@link LanguageModel} trains on. */
public sealed interface Batch {

    /**
     * A decoder's: windows of text, inputs and targets (B, T) int64, the targets the inputs shifted
     * by one, and prefix lengths (B) int64 for the prefix-LM mask (0 for causal models).
     */
    record Windows(NDArray inputs, NDArray targets, NDArray prefix) implements Batch {}

    /**
     * An encoder-decoder's: (input, target) pairs, encoder inputs (B, S) int64 with their lengths
     * (B) int64 (the rest of a row is padding), decoder inputs and targets (B, T) int64, the
     * decoder inputs being the targets shifted right behind a start token.
     */
    record Pairs(NDArray encoderInputs, NDArray encoderLengths, NDArray decoderInputs, NDArray targets) implements Batch {}
}
