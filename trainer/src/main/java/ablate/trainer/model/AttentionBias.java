package ablate.trainer.model;

import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What is added to the attention scores before the softmax: the mask (-inf where a query may not
 * see a key) plus, for ALiBi, the distance penalty. Causal masks are built once; prefix-LM masks
 * and an encoder's padding masks depend on each sequence's prefix or length and are built per batch.
 */
final class AttentionBias {
    private final int seqLen;
    private final NDArray causal; // (1, H or 1, T, T): causal mask plus ALiBi when on
    private final NDArray alibi; // (1, H, T, T), or a zero scalar without ALiBi
    private final NDArray positions; // (T) int64 0..T-1
    private final NDArray slopes; // (1, H, 1, 1) ALiBi slopes, or empty without ALiBi
    private final DataType dataType; // of the scores; in fp16 the -inf mask is exact, ALiBi penalties are rounded to 11 bits

    /** @param dataType what the attention scores are computed in */
    AttentionBias(NDManager manager, int heads, int seqLen, boolean withAlibi, DataType dataType) {
        this.seqLen = seqLen;
        this.dataType = dataType;
        float[] mask = new float[seqLen * seqLen];
        for (int i = 0; i < seqLen; i++) {
            for (int j = i + 1; j < seqLen; j++) {
                mask[i * seqLen + j] = Float.NEGATIVE_INFINITY;
            }
        }
        NDArray causalMask = manager.create(mask, new Shape(1, 1, seqLen, seqLen));
        this.alibi = withAlibi ? Alibi.bias(manager, heads, seqLen).expandDims(0) : manager.create(0f);
        this.causal = (withAlibi ? causalMask.add(alibi) : causalMask).toType(dataType, false);
        this.positions = manager.arange(0, seqLen, 1, DataType.INT64);
        float[] m = new float[withAlibi ? heads : 0];
        double[] slopeValues = withAlibi ? Alibi.slopes(heads) : new double[0];
        for (int h = 0; h < m.length; h++) {
            m[h] = (float) slopeValues[h];
        }
        this.slopes = Torch.owned(manager.create(m, new Shape(1, m.length, 1, 1)));
    }

    /**
     * The bias for packed rows, shape (B, H or 1, T, T): -inf where {@code visible} is false and,
     * with ALiBi, -m_h * |p_i - p_j| from the tokens' own positions.
     *
     * @param positions (B, T) int64 position of each token
     * @param visible (B, T, T) boolean, query i may see key j
     */
    NDArray packed(NDArray positions, NDArray visible) {
        Shape shape = visible.getShape();
        NDManager m = visible.getManager();
        NDArray mask = NDArrays.where(visible, m.zeros(shape), m.full(shape, Float.NEGATIVE_INFINITY)).expandDims(1); // (B, 1, T, T)
        if (slopes.getShape().get(1) == 0) {
            return mask.toType(dataType, false);
        }
        long t = shape.get(1);
        NDArray p = positions.toType(DataType.FLOAT32, false);
        NDArray distance = p.reshape(-1, 1, t, 1).sub(p.reshape(-1, 1, 1, t)).abs(); // (B, 1, T, T)
        return mask.add(distance.mul(slopes).neg()).toType(dataType, false);
    }

    /** The causal bias for sequences of length t (<= seq-len), shape (1, H or 1, t, t). */
    NDArray causal(long t) {
        return t == seqLen ? causal : causal.get(new NDIndex(":, :, 0:{}, 0:{}", t, t));
    }

    /**
     * The bias of an encoder's bidirectional self-attention, shape (B, H or 1, t, t): every query
     * sees every key inside its sequence, -inf on the padding keys at or after its length and, with
     * ALiBi, the symmetric distance penalty -m_h * |i - j|.
     *
     * @param lengths (B) int64 tokens of each sequence, each in [1, t]; the rest is padding
     */
    NDArray bidirectional(NDArray lengths, long t) {
        NDArray mask = paddingMask(lengths, t); // (B, 1, 1, t)
        if (alibi.getShape().dimension() == 0) {
            return mask.toType(dataType, false);
        }
        return mask.add(t == seqLen ? alibi : alibi.get(new NDIndex(":, :, 0:{}, 0:{}", t, t))).toType(dataType, false);
    }

    /**
     * The bias of cross-attention over an encoder output of s positions, shape (B, 1, 1, s): -inf
     * on each sequence's padding, nothing else (cross-attention has no positional term).
     *
     * @param lengths (B) int64 tokens of each encoder sequence, each in [1, s]
     */
    NDArray padding(NDArray lengths, long s) {
        return paddingMask(lengths, s).toType(dataType, false);
    }

    /** 0 where key j < length, -inf after, float32 (B, 1, 1, s). */
    private NDArray paddingMask(NDArray lengths, long s) {
        NDArray pos = s == seqLen ? positions : positions.get(new NDIndex("0:{}", s));
        NDArray allowed = pos.reshape(1, s).lt(lengths.reshape(-1, 1)); // (B, s)
        Shape shape = allowed.getShape();
        NDManager m = allowed.getManager();
        return NDArrays.where(allowed, m.zeros(shape), m.full(shape, Float.NEGATIVE_INFINITY)).reshape(-1, 1, 1, s);
    }

    /**
     * The prefix-LM bias for a batch, shape (B, H or 1, t, t): query i sees key j when j <= i, or
     * when both lie inside the sequence's prefix (bidirectional over the input part).
     *
     * @param prefix (B) int64 prefix lengths
     */
    NDArray prefix(NDArray prefix, long t) {
        NDArray pos = t == seqLen ? positions : positions.get(new NDIndex("0:{}", t));
        NDArray i = pos.reshape(1, t, 1);
        NDArray j = pos.reshape(1, 1, t);
        NDArray p = prefix.reshape(-1, 1, 1);
        NDArray allowed = j.lte(i).logicalOr(i.lt(p).logicalAnd(j.lt(p))); // (B, t, t)
        Shape shape = allowed.getShape();
        NDManager m = allowed.getManager();
        NDArray mask = NDArrays.where(allowed, m.zeros(shape), m.full(shape, Float.NEGATIVE_INFINITY)).expandDims(1); // (B, 1, t, t)
        if (alibi.getShape().dimension() == 0) {
            return mask.toType(dataType, false);
        }
        return mask.add(t == seqLen ? alibi : alibi.get(new NDIndex(":, :, 0:{}, 0:{}", t, t))).toType(dataType, false);
    }
}
