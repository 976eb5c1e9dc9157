package ablate.trainer.model;

import ablate.conf.ModelConfig;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import java.util.function.UnaryOperator;

/**
 * Multi-head self-attention (Vaswani et al. 2017) with a fused QKV projection, as in GPT-2 and
 * Megatron; with fewer key/value heads than query heads it is grouped-query attention (Ainslie et
 * al. 2023, LLaMA 2), each key/value head serving a contiguous group of query heads. Position
 * information enters here for rotary (queries and keys are rotated) and ALiBi (through the
 * additive bias); learned and no-position models see plain attention.
 */
final class Attention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float dropout;
    private final Dense qkv; // ((H + 2 KV) hs, d): rows [q | k | v], heads contiguous inside each
    private final Dense proj; // (d, H hs)
    private final NDArray scale; // 1 / sqrt(hs), a scalar libtorch owns (see Torch.scalar)

    Attention(Parameters params, String prefix, ModelConfig model) {
        int d = model.dModel();
        double residualStd = model.initStd() / Math.sqrt(2.0 * model.layers());
        this.heads = model.heads();
        this.kvHeads = model.keyValueHeads();
        this.headDim = model.headDim();
        this.dropout = (float) model.dropout();
        long qkvRows = (long) (heads + 2 * kvHeads) * headDim;
        this.qkv = new Dense(params, prefix + "qkv", new Shape(qkvRows, d), new Parameters.Init.Normal(model.initStd()), model.bias());
        this.proj = new Dense(params, prefix + "proj", new Shape(d, (long) heads * headDim), new Parameters.Init.Normal(residualStd), model.bias());
        this.scale = Torch.scalar(params.manager(), 1.0f / (float) Math.sqrt(headDim));
    }

    /**
     * @param x (B, T, d)
     * @param bias additive scores bias broadcastable to (B, H, T, T)
     * @param rotate rotary on queries or keys (..., B, H, T, hs), or the identity
     */
    NDArray forward(NDArray x, NDArray bias, UnaryOperator<NDArray> rotate, boolean training) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray fused = qkv.forward(x); // (B, T, (H + 2 KV) hs)
        NDArray q;
        NDArray k;
        NDArray v;
        if (kvHeads == heads) {
            NDArray split = fused.reshape(b, t, 3, heads, headDim).transpose(2, 0, 3, 1, 4); // (3, B, H, T, hs)
            NDArray qk = rotate.apply(split.get("0:2")); // (2, B, H, T, hs), queries and keys rotated together
            q = qk.get(0); // (B, H, T, hs)
            k = qk.get(1);
            v = split.get(2);
        } else {
            long qWidth = (long) heads * headDim;
            long kvWidth = (long) kvHeads * headDim;
            q = rotate.apply(heads(fused.get(new NDIndex("..., 0:{}", qWidth)), heads)); // (B, H, T, hs)
            k = repeatGroups(rotate.apply(heads(fused.get(new NDIndex("..., {}:{}", qWidth, qWidth + kvWidth)), kvHeads)));
            v = repeatGroups(heads(fused.get(new NDIndex("..., {}:", qWidth + kvWidth)), kvHeads));
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // (B, H, T, T)
        NDArray probs = scores.add(bias).softmax(-1);
        if (dropout > 0 && training) {
            probs = Dropout.dropout(probs, dropout, true).singletonOrThrow();
        }
        NDArray y = probs.matMul(v); // (B, H, T, hs)
        y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim); // (B, T, H hs)
        return proj.forward(y);
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
