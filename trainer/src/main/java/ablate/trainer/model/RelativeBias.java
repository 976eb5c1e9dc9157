package ablate.trainer.model;

import ablate.conf.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

/**
 * T5's relative attention bias (Raffel et al. 2020, section 2.1, after Shaw et al. 2018): a learned
 * scalar per head for each bucket of the distance from a query to a key, added to the
 * self-attention scores. One table serves every layer of a stack (T5 computes it in the first
 * layer and passes it on). Buckets are those of Mesh TensorFlow's relative_position_bucket: the
 * first half of a direction's buckets hold one distance each, the second half logarithmically
 * wider ranges up to {@code model.relative-max-distance}, beyond which every distance shares the
 * last bucket. Bidirectional attention (an encoder, a prefix-LM decoder) gives half of the buckets
 * to keys after the query; causal attention (T5's decoder) uses all of them for keys at or before it.
 *
 * <p>The weight, {@code NAME} of shape (buckets, heads), is laid out as Hugging Face's
 * relative_attention_bias.weight.
 */
final class RelativeBias {
    private final int seqLen;
    private final NDArray table; // (buckets, H)
    private final NDArray distanceBuckets; // (2 seq-len - 1) int64: the bucket of distance j - i at index j - i + seq-len - 1
    private final NDArray buckets; // (seq-len, seq-len) int64: the bucket of key j for query i

    /** @param bidirectional whether keys after the query get buckets of their own */
    RelativeBias(Parameters params, String name, ModelConfig model, boolean bidirectional) {
        this.seqLen = model.seqLen();
        this.table = params.create(name, new Shape(model.relativeBuckets(), model.heads()), new Parameters.Init.Normal(model.initStd()));
        NDManager m = params.manager();
        long[] byDistance = new long[2 * seqLen - 1];
        for (int i = 0; i < byDistance.length; i++) {
            byDistance[i] = bucket(i - (seqLen - 1), bidirectional, model.relativeBuckets(), model.relativeMaxDistance());
        }
        this.distanceBuckets = m.create(byDistance);
        NDArray positions = m.arange(0, seqLen, 1, DataType.INT64);
        NDArray distance = positions.reshape(1, seqLen).sub(positions.reshape(seqLen, 1)).add(seqLen - 1); // (L, L): j - i + L - 1
        this.buckets = distanceBuckets.take(distance);
        positions.close();
        distance.close();
    }

    /** The bias of queries and keys at positions 0..t-1, shape (1, H, t, t). */
    NDArray forward(long t) {
        NDArray index = t == seqLen ? buckets : buckets.get(new NDIndex("0:{}, 0:{}", t, t));
        return lookup(index).transpose(2, 0, 1).expandDims(0); // (t, t, H) to (1, H, t, t)
    }

    /**
     * The bias of packed rows whose tokens carry their own positions, shape (B, H, T, T).
     *
     * @param positions (B, T) int64, each < seq-len
     */
    NDArray packed(NDArray positions) {
        long t = positions.getShape().get(1);
        NDArray distance = positions.reshape(-1, 1, t).sub(positions.reshape(-1, t, 1)).add(seqLen - 1); // (B, T, T)
        return lookup(distanceBuckets.take(distance)).transpose(0, 3, 1, 2); // (B, T, T, H) to (B, H, T, T)
    }

    private NDArray lookup(NDArray bucketIndex) {
        return Embedding.embedding(bucketIndex, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * The bucket of a key {@code relative} positions after its query (negative: before it), as
     * transformers' T5Attention._relative_position_bucket computes it, in fp32 as it does, so that
     * every distance falls into the bucket a T5 checkpoint was trained with.
     */
    static int bucket(int relative, boolean bidirectional, int numBuckets, int maxDistance) {
        int first = 0;
        int n = numBuckets;
        int distance;
        if (bidirectional) {
            n /= 2;
            first = relative > 0 ? n : 0;
            distance = Math.abs(relative);
        } else {
            distance = Math.max(-relative, 0);
        }
        int maxExact = n / 2;
        if (distance < maxExact) {
            return first + distance;
        }
        float ratio = (float) distance / maxExact;
        float logRatio = (float) Math.log(ratio) / (float) Math.log((double) maxDistance / maxExact);
        int large = maxExact + (int) (logRatio * (n - maxExact));
        return first + Math.min(large, n - 1);
    }
}
