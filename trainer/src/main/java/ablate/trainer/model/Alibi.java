package ablate.trainer.model;

import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Attention with Linear Biases (Press, Smith and Lewis 2022, "Train Short, Test Long"): no position
 * embeddings; each head adds -m_h * |i - j| to the score of query i for key j, with head slopes
 * m_h in a geometric sequence.
 */
public final class Alibi {
    private Alibi() {}

    /**
     * The paper's slopes for any head count: for n a power of two, 2^(-8/n), 2^(-16/n), ...,
     * 2^(-8); otherwise the slopes of the closest smaller power of two followed by every other
     * slope of twice that power (the official implementation's rule for non-powers of two).
     */
    public static double[] slopes(int heads) {
        int closest = Integer.highestOneBit(heads);
        double[] base = powerOfTwoSlopes(closest);
        if (closest == heads) {
            return base;
        }
        double[] extra = powerOfTwoSlopes(2 * closest);
        double[] slopes = new double[heads];
        System.arraycopy(base, 0, slopes, 0, closest);
        for (int i = 0; i < heads - closest; i++) {
            slopes[closest + i] = extra[2 * i];
        }
        return slopes;
    }

    /** The bias -m_h * |i - j| as an array of shape (heads, T, T). */
    public static NDArray bias(NDManager manager, int heads, int seqLen) {
        double[] m = slopes(heads);
        float[] values = new float[heads * seqLen * seqLen];
        int k = 0;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < seqLen; i++) {
                for (int j = 0; j < seqLen; j++) {
                    values[k++] = (float) (-m[h] * Math.abs(i - j));
                }
            }
        }
        return Torch.owned(manager.create(values, new Shape(heads, seqLen, seqLen)));
    }

    private static double[] powerOfTwoSlopes(int n) {
        double start = Math.pow(2, -8.0 / n);
        double[] slopes = new double[n];
        double s = start;
        for (int i = 0; i < n; i++) {
            slopes[i] = s;
            s *= start;
        }
        return slopes;
    }
}
