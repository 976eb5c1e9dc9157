package ablate.trainer.model;

import ablate.conf.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import java.util.function.UnaryOperator;

/**
 * A block of an encoder-decoder's decoder (Vaswani et al. 2017; T5, Raffel et al. 2020), pre-LN
 * as {@link Block}: x + self(ln1(x)), then + cross(ln_cross(x), encoder output), then
 * + mlp(ln2(x)). The self-attention is causal; the cross-attention lets every decoder position
 * read the whole encoder output. Parallel residual is not offered here: GPT-J's form is defined
 * for two branches, and a cross-attention branch computed beside the self-attention one is no
 * published model.
 */
final class DecoderBlock {
    private final Normalization ln1;
    private final Attention attention;
    private final Normalization lnCross;
    private final Attention cross;
    private final Normalization ln2;
    private final Mlp mlp;
    private final float dropout;

    /** Weights named {@code prefix + "ln1."}, {@code "attn."}, {@code "ln_cross."}, {@code "cross."}, {@code "ln2."}, {@code "mlp."}. */
    DecoderBlock(Parameters params, String prefix, ModelConfig model) {
        this.ln1 = Normalization.create(params, prefix + "ln1.", model);
        this.attention = Attention.self(params, prefix + "attn.", model);
        this.lnCross = Normalization.create(params, prefix + "ln_cross.", model);
        this.cross = Attention.cross(params, prefix + "cross.", model);
        this.ln2 = Normalization.create(params, prefix + "ln2.", model);
        this.mlp = new Mlp(params, prefix + "mlp.", model);
        this.dropout = (float) model.dropout();
    }

    /**
     * @param x (B, T, d) decoder states
     * @param memory (C, S, d) the encoder's output
     * @param rows (B) int64 the memory row each decoder row reads, or null where C = B and row i reads row i
     * @param biases the causal self-attention's and the cross-attention's scores biases
     * @param rotate rotary for the self-attention, or the identity
     * @return (B, T, d)
     */
    NDArray forward(NDArray x, NDArray memory, NDArray rows, Biases biases, UnaryOperator<NDArray> rotate, boolean training) {
        x = x.add(residual(attention.forward(ln1.forward(x), biases.self(), rotate, training), training));
        x = x.add(residual(cross.forward(lnCross.forward(x), memory, rows, biases.cross(), training), training));
        return x.add(residual(mlp.forward(ln2.forward(x)), training));
    }

    /** The additive scores biases of a batch: the causal self-attention's (B, H or 1, T, T) and the cross-attention's (B, 1, 1, S). */
    record Biases(NDArray self, NDArray cross) {}

    private NDArray residual(NDArray branch, boolean training) {
        return dropout > 0 && training ? Dropout.dropout(branch, dropout, true).singletonOrThrow() : branch;
    }
}
