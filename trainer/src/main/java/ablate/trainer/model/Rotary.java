package ablate.trainer.model;

import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.util.function.UnaryOperator;

/**
 * Rotary position embeddings (Su et al. 2021, "RoFormer"), in GPT-NeoX's "rotate half" layout:
 * the first {@code rotaryDim} dimensions of each query and key head are split into two halves
 * (x1, x2) and rotated by position-dependent angles, x * cos + (-x2, x1) * sin, so that
 * q_i . k_j depends on i - j only. The remaining dimensions pass through (GPT-NeoX's rotary_pct).
 */
final class Rotary {
    private final int rotaryDim;
    private final int headDim;
    private final NDArray cos; // (T, rd)
    private final NDArray sin; // (T, rd)
    private final NDArray rotateHalf; // (rd, rd): x @ rotateHalf == cat(-x2, x1), one op instead of four

    Rotary(NDManager manager, int seqLen, int headDim, int rotaryDim, double base, DataType dataType) {
        this.rotaryDim = rotaryDim;
        this.headDim = headDim;
        int half = rotaryDim / 2;
        float[] c = new float[seqLen * rotaryDim];
        float[] s = new float[seqLen * rotaryDim];
        for (int t = 0; t < seqLen; t++) {
            for (int i = 0; i < half; i++) {
                double invFreq = 1.0 / StrictMath.pow(base, (2.0 * i) / rotaryDim);
                double angle = t * invFreq;
                float ci = (float) StrictMath.cos(angle);
                float si = (float) StrictMath.sin(angle);
                c[t * rotaryDim + i] = ci;
                c[t * rotaryDim + i + half] = ci;
                s[t * rotaryDim + i] = si;
                s[t * rotaryDim + i + half] = si;
            }
        }
        cos = Torch.owned(manager.create(c, new Shape(seqLen, rotaryDim))).toType(dataType, false);
        sin = Torch.owned(manager.create(s, new Shape(seqLen, rotaryDim))).toType(dataType, false);
        float[] r = new float[rotaryDim * rotaryDim];
        for (int i = 0; i < half; i++) {
            r[(i + half) * rotaryDim + i] = -1; // output i takes -x2[i]
            r[i * rotaryDim + i + half] = 1; // output i + half takes x1[i]
        }
        rotateHalf = Torch.owned(manager.create(r, new Shape(rotaryDim, rotaryDim))).toType(dataType, false); // a matmul operand: aligned
    }

    /** Rotates x of shape (..., T, hs) by the angles of positions 0..T-1. */
    NDArray apply(NDArray x) {
        long t = x.getShape().get(x.getShape().dimension() - 2);
        NDArray cosT = t == cos.getShape().get(0) ? cos : cos.get(new NDIndex("0:{}", t));
        NDArray sinT = t == sin.getShape().get(0) ? sin : sin.get(new NDIndex("0:{}", t));
        return rotate(x, cosT, sinT);
    }

    /**
     * The rotation for tokens at explicit positions (packed evaluation rows, where positions
     * restart inside a row): an operator on x of shape (..., B, H, T, hs).
     *
     * @param positions (B, T) int64
     */
    UnaryOperator<NDArray> at(NDArray positions) {
        NDArray cosP = Embedding.embedding(positions, cos, SparseFormat.DENSE).singletonOrThrow().expandDims(1); // (B, 1, T, rd)
        NDArray sinP = Embedding.embedding(positions, sin, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        return x -> rotate(x, cosP, sinP);
    }

    private NDArray rotate(NDArray x, NDArray cosT, NDArray sinT) {
        if (rotaryDim == headDim) {
            return x.mul(cosT).add(rotateHalf(x).mul(sinT));
        }
        NDArray rot = x.get(new NDIndex("..., 0:{}", rotaryDim));
        NDArray pass = x.get(new NDIndex("..., {}:", rotaryDim));
        NDArray rotated = rot.mul(cosT).add(rotateHalf(rot).mul(sinT));
        return NDArrays.concat(new NDList(rotated, pass), -1);
    }

    /** cat(-x2, x1) of the halves of the last dimension, as one product with a signed permutation (exact). */
    private NDArray rotateHalf(NDArray x) {
        return x.matMul(rotateHalf);
    }
}
