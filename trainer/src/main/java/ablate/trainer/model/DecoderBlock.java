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
     * @param x (R, T, d) decoder states
     * @param selfBias the causal self-attention's additive scores bias, (R or 1, H or 1, T, T)
     * @param encoder what the cross-attention reads
     * @param rotate rotary for the self-attention, or the identity
     * @return (R, T, d)
     */
    NDArray forward(NDArray x, NDArray selfBias, Encoded encoder, UnaryOperator<NDArray> rotate, boolean training) {
        x = x.add(residual(attention.forward(ln1.forward(x), selfBias, rotate, training), training));
        x = x.add(residual(cross.forward(lnCross.forward(x), encoder, training), training));
        return x.add(residual(mlp.forward(ln2.forward(x)), training));
    }

    /**
     * The encoder's side of cross-attention for R decoder rows.
     *
     * @param memory (C, S, d) the encoder's output
     * @param toRows hands each decoder row its encoder row's part of a (C, ...) tensor: (C, ...) to
     *     (R, ...); the identity where decoder row i reads encoder row i
     * @param padding (R, 1, 1, S) the additive scores bias of each decoder row's encoder padding
     */
    record Encoded(NDArray memory, UnaryOperator<NDArray> toRows, NDArray padding) {}

    private NDArray residual(NDArray branch, boolean training) {
        return dropout > 0 && training ? Dropout.dropout(branch, dropout, true).singletonOrThrow() : branch;
    }
}
