package ablate.trainer.model;

import ablate.conf.ModelConfig;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.Dropout;
import java.util.function.UnaryOperator;

/**
 * Multi-head attention (Vaswani et al. 2017) in two modes. Self-attention has a fused QKV
 * projection, as in GPT-2 and Megatron. Cross-attention, the encoder-decoder attention of the
 * Transformer's decoder (and T5's, Raffel et al. 2020), takes queries from the decoder and keys
 * and values from the encoder's output, through a query projection and a fused key/value one.
 * With fewer key/value heads than query heads either is grouped-query attention (Ainslie et al.
 * 2023, LLaMA 2), each key/value head serving a contiguous group of query heads.
 *
 * <p>Position information enters self-attention only: for rotary (queries and keys are rotated)
 * and ALiBi (through the additive bias); learned and no-position models see plain attention.
 * Cross-attention has no positional term (T5's EncDecAttention has no relative bias either): a
 * decoder position and an encoder position are not on one axis, so neither a rotation by their
 * difference nor a distance penalty means anything; its bias is the encoder's padding mask.
 */
final class Attention {
    /** Where queries, keys and values are projected from: one fused matrix, or queries apart from keys and values. */
    private sealed interface Projections {}

    /** Self-attention: ((H + 2 KV) hs, d), rows [q | k | v], heads contiguous inside each. */
    private record Fused(Dense qkv) implements Projections {}

    /** Cross-attention: q (H hs, d) on the decoder, kv (2 KV hs, d), rows [k | v], on the encoder output. */
    private record Separate(Dense q, Dense kv) implements Projections {}

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float dropout;
    private final Projections projections;
    private final Dense proj; // (d, H hs)
    private final NDArray scale; // 1 / sqrt(hs), a scalar libtorch owns (see Torch.scalar)

    private Attention(Parameters params, String prefix, ModelConfig model, boolean cross) {
        int d = model.dModel();
        double residualStd = model.initStd() / Math.sqrt(2.0 * model.layers());
        this.heads = model.heads();
        this.kvHeads = model.keyValueHeads();
        this.headDim = model.headDim();
        this.dropout = (float) model.dropout();
        var init = new Parameters.Init.Normal(model.initStd());
        long qRows = (long) heads * headDim;
        long kvRows = 2L * kvHeads * headDim;
        this.projections = cross
                ? new Separate(new Dense(params, prefix + "q", new Shape(qRows, d), init, model.bias()),
                        new Dense(params, prefix + "kv", new Shape(kvRows, d), init, model.bias()))
                : new Fused(new Dense(params, prefix + "qkv", new Shape(qRows + kvRows, d), init, model.bias()));
        this.proj = new Dense(params, prefix + "proj", new Shape(d, qRows), new Parameters.Init.Normal(residualStd), model.bias());
        this.scale = Torch.scalar(params.manager(), 1.0f / (float) Math.sqrt(headDim));
    }

    /** Self-attention, weights {@code prefix + "qkv"} and {@code "proj"}. */
    static Attention self(Parameters params, String prefix, ModelConfig model) {
        return new Attention(params, prefix, model, false);
    }

    /** Cross-attention, weights {@code prefix + "q"}, {@code "kv"} and {@code "proj"}. */
    static Attention cross(Parameters params, String prefix, ModelConfig model) {
        return new Attention(params, prefix, model, true);
    }

    /**
     * Self-attention.
     *
     * @param x (B, T, d)
     * @param bias additive scores bias broadcastable to (B, H, T, T)
     * @param rotate rotary on queries or keys (..., B, H, T, hs), or the identity
     */
    NDArray forward(NDArray x, NDArray bias, UnaryOperator<NDArray> rotate, boolean training) {
        if (!(projections instanceof Fused(Dense qkv))) {
            throw new IllegalStateException("cross-attention needs the encoder output: call forward(x, encoder, training)");
        }
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray fused = qkv.forward(x); // (B, T, (H + 2 KV) hs)
        if (kvHeads == heads) {
            NDArray split = fused.reshape(b, t, 3, heads, headDim).transpose(2, 0, 3, 1, 4); // (3, B, H, T, hs)
            NDArray qk = rotate.apply(split.get("0:2")); // (2, B, H, T, hs), queries and keys rotated together
            return attend(qk.get(0), qk.get(1), split.get(2), bias, training); // q, k, v (B, H, T, hs)
        }
        long qWidth = (long) heads * headDim;
        long kvWidth = (long) kvHeads * headDim;
        NDArray q = rotate.apply(heads(fused.get(new NDIndex("..., 0:{}", qWidth)), heads)); // (B, H, T, hs)
        NDArray k = repeatGroups(rotate.apply(heads(fused.get(new NDIndex("..., {}:{}", qWidth, qWidth + kvWidth)), kvHeads)));
        NDArray v = repeatGroups(heads(fused.get(new NDIndex("..., {}:", qWidth + kvWidth)), kvHeads));
        return attend(q, k, v, bias, training);
    }

    /**
     * Cross-attention: each of the T decoder positions attends to the S encoder positions. Keys and
     * values are projected once per encoder row however many decoder rows read it, then handed to
     * each (a copy, not a GEMM).
     *
     * @param x (R, T, d) decoder states
     * @param encoder the encoder output (C, S, d), which row each decoder row reads, and its padding
     */
    NDArray forward(NDArray x, DecoderBlock.Encoded encoder, boolean training) {
        if (!(projections instanceof Separate(Dense q, Dense kv))) {
            throw new IllegalStateException("self-attention takes no encoder output: call forward(x, bias, rotate, training)");
        }
        long kvWidth = (long) kvHeads * headDim;
        NDArray fused = encoder.toRows().apply(kv.forward(encoder.memory())); // (C, S, 2 KV hs) projected, (R, S, 2 KV hs) handed out
        NDArray k = heads(fused.get(new NDIndex("..., 0:{}", kvWidth)), kvHeads); // (R, KV, S, hs)
        NDArray v = heads(fused.get(new NDIndex("..., {}:", kvWidth)), kvHeads);
        if (kvHeads != heads) {
            k = repeatGroups(k); // (R, H, S, hs)
            v = repeatGroups(v);
        }
        return attend(heads(q.forward(x), heads), k, v, encoder.padding(), training); // queries (R, H, T, hs)
    }

    /** Scaled dot-product attention of q (B, H, T, hs) over k, v (B, H, S, hs), heads merged and projected: (B, T, d). */
    private NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, boolean training) {
        long b = q.getShape().get(0);
        long t = q.getShape().get(2);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // (B, H, T, S)
        NDArray probs = scores.add(bias).softmax(-1);
        if (dropout > 0 && training) {
            probs = Dropout.dropout(probs, dropout, true).singletonOrThrow();
        }
        NDArray y = probs.matMul(v); // (B, H, T, hs)
        y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim); // (B, T, H hs)
        return proj.forward(y);
    }

    /** The rows {@code rows} (R) int64 of x (C, ...), in that order: (R, ...). */
    static NDArray rowsOf(NDArray x, NDArray rows) {
        Shape shape = x.getShape();
        long c = shape.get(0);
        NDArray picked = Embedding.embedding(rows, x.reshape(c, shape.size() / c), SparseFormat.DENSE).singletonOrThrow();
        long[] dims = shape.getShape();
        dims[0] = rows.getShape().get(0);
        return picked.reshape(dims);
    }

    /** (B, T, n hs) to (B, n, T, hs). */
    private NDArray heads(NDArray x, int n) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), n, headDim).transpose(0, 2, 1, 3);
    }

    /** (B, KV, T, hs) to (B, H, T, hs): key/value head g serves query heads g * H/KV .. (g + 1) * H/KV - 1. */
    private NDArray repeatGroups(NDArray x) {
        Shape s = x.getShape();
        int group = heads / kvHeads;
        return x.expandDims(2).broadcast(s.get(0), kvHeads, group, s.get(2), headDim).reshape(s.get(0), heads, s.get(2), headDim);
    }
}
