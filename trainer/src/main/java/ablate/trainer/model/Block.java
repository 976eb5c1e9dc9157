package ablate.trainer.model;

import ablate.conf.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import java.util.function.UnaryOperator;

/**
 * A pre-LN Transformer block (GPT-2/GPT-3): x + attn(ln1(x)), then + mlp(ln2(x)); or, with
 * parallel residual (GPT-J, GPT-NeoX), x + attn(ln1(x)) + mlp(ln2(x)) from the same x.
 */
final class Block {
    private final Normalization ln1;
    private final Attention attention;
    private final Normalization ln2;
    private final Mlp mlp;
    private final float dropout;
    private final boolean parallel;

    /** Block {@code index} of a decoder, weights named {@code h.INDEX.*}. */
    Block(Parameters params, int index, ModelConfig model) {
        this(params, "h." + index + ".", model);
    }

    /** A block whose weights are named {@code prefix + "ln1."}, {@code "attn."}, {@code "ln2."} and {@code "mlp."}. */
    Block(Parameters params, String prefix, ModelConfig model) {
        this.ln1 = Normalization.create(params, prefix + "ln1.", model);
        this.attention = Attention.self(params, prefix + "attn.", model);
        this.ln2 = Normalization.create(params, prefix + "ln2.", model);
        this.mlp = new Mlp(params, prefix + "mlp.", model);
        this.dropout = (float) model.dropout();
        this.parallel = model.parallelResidual();
    }

    /** x (B, T, d) to (B, T, d). */
    NDArray forward(NDArray x, NDArray bias, UnaryOperator<NDArray> rotate, boolean training) {
        NDArray attended = residual(attention.forward(ln1.forward(x), bias, rotate, training), training);
        if (parallel) {
            return x.add(attended).add(residual(mlp.forward(ln2.forward(x)), training));
        }
        x = x.add(attended);
        return x.add(residual(mlp.forward(ln2.forward(x)), training));
    }

    private NDArray residual(NDArray branch, boolean training) {
        return dropout > 0 && training ? Dropout.dropout(branch, dropout, true).singletonOrThrow() : branch;
    }
}
