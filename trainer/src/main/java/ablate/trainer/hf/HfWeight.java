package ablate.trainer.hf;

import java.util.ArrayList;
import java.util.List;

/**
 * One ablate weight and the Hugging Face tensor(s) it is stored as. The layouts are pure index
 * permutations; a {@code scale} other than 1 multiplies the first Hugging Face tensor on import
 * and divides it on export (T5 folds what ablate computes and T5 does not into its weights, see
 * {@link Architecture#T5}), exact when the scale is a power of two and otherwise rounded once.
 *
 * @param scale ablate's values of the first Hugging Face tensor are its values times this
 */
record HfWeight(String ablateName, List<String> hfNames, Layout layout, float scale) {
    /** How the Hugging Face tensors hold ablate's (rows, cols) weight. */
    enum Layout {
        /** The same array. */
        SAME,
        /** GPT-2's Conv1D: (cols, rows). */
        TRANSPOSED,
        /** Fused QKV grouped per head, rows (heads, 3, hs), where ablate has (3, heads, hs). */
        PER_HEAD_QKV,
        /** Separate tensors stacked along rows make ablate's fused one: q, k and v its [q | k | v], k and v its [k | v]. */
        ROWS
    }

    HfWeight(String ablateName, List<String> hfNames, Layout layout) {
        this(ablateName, hfNames, layout, 1f);
    }

    /** A Hugging Face tensor: name, shape and values. */
    record Tensor(String name, long[] shape, float[] values) {}

    static HfWeight same(String ablateName, String hfName) {
        return new HfWeight(ablateName, List.of(hfName), Layout.SAME);
    }

    /**
     * ablate's values from the Hugging Face tensors (in the order of {@link #hfNames}).
     *
     * @param shape ablate's shape of this weight
     * @param heads query heads (for PER_HEAD_QKV)
     */
    float[] toAblate(List<float[]> hf, long[] shape, int heads) {
        if (scale != 1f) {
            List<float[]> scaled = new ArrayList<>(hf);
            scaled.set(0, times(hf.getFirst(), scale));
            hf = scaled;
        }
        return switch (layout) {
            case SAME -> hf.getFirst();
            case TRANSPOSED -> transpose(hf.getFirst(), (int) shape[1], (int) shape[0]);
            case PER_HEAD_QKV -> perHead(hf.getFirst(), shape, heads, true);
            case ROWS -> {
                int n = hf.stream().mapToInt(a -> a.length).sum();
                float[] out = new float[n];
                int at = 0;
                for (float[] part : hf) {
                    System.arraycopy(part, 0, out, at, part.length);
                    at += part.length;
                }
                yield out;
            }
        };
    }

    /**
     * The shapes of the Hugging Face tensors (in the order of {@link #hfNames}) that hold ablate's
     * weight of {@code shape}.
     *
     * @param qkvRows for ROWS: rows of q, k and v (of k and v, the last two, for two tensors)
     */
    List<long[]> hfShapes(long[] shape, int[] qkvRows) {
        return switch (layout) {
            case SAME, PER_HEAD_QKV -> List.of(shape);
            case TRANSPOSED -> List.of(shape.length == 2 ? new long[] {shape[1], shape[0]} : shape);
            case ROWS -> {
                List<long[]> out = new ArrayList<>();
                for (int i = 0; i < hfNames.size(); i++) {
                    int rows = partRows(qkvRows, i);
                    out.add(shape.length == 2 ? new long[] {rows, shape[1]} : new long[] {rows});
                }
                yield out;
            }
        };
    }

    /**
     * The Hugging Face tensors of ablate's values.
     *
     * @param qkvRows for ROWS: rows of q, k and v (of k and v, the last two, for two tensors)
     */
    List<Tensor> toHf(float[] values, long[] shape, int heads, int[] qkvRows) {
        List<Tensor> out = laidOut(values, shape, heads, qkvRows);
        if (scale == 1f) {
            return out;
        }
        List<Tensor> unscaled = new ArrayList<>(out);
        Tensor first = out.getFirst();
        unscaled.set(0, new Tensor(first.name(), first.shape(), dividedBy(first.values(), scale)));
        return unscaled;
    }

    private List<Tensor> laidOut(float[] values, long[] shape, int heads, int[] qkvRows) {
        return switch (layout) {
            case SAME -> List.of(new Tensor(hfNames.getFirst(), shape, values));
            case TRANSPOSED -> List.of(new Tensor(hfNames.getFirst(), hfShapes(shape, qkvRows).getFirst(),
                    transpose(values, (int) shape[0], (int) shape[1])));
            case PER_HEAD_QKV -> List.of(new Tensor(hfNames.getFirst(), shape, perHead(values, shape, heads, false)));
            case ROWS -> {
                int cols = shape.length == 2 ? (int) shape[1] : 1;
                List<long[]> shapes = hfShapes(shape, qkvRows);
                List<Tensor> out = new ArrayList<>();
                int at = 0;
                for (int i = 0; i < hfNames.size(); i++) {
                    float[] part = new float[partRows(qkvRows, i) * cols];
                    System.arraycopy(values, at, part, 0, part.length);
                    at += part.length;
                    out.add(new Tensor(hfNames.get(i), shapes.get(i), part));
                }
                yield out;
            }
        };
    }

    /** Rows of the i-th of this weight's ROWS tensors: q, k, v take all of qkvRows, k and v its last two. */
    private int partRows(int[] qkvRows, int i) {
        return qkvRows[qkvRows.length - hfNames.size() + i];
    }

    private static float[] times(float[] a, float factor) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * factor;
        }
        return out;
    }

    private static float[] dividedBy(float[] a, float divisor) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] / divisor;
        }
        return out;
    }

    /** (rows, cols) row-major to (cols, rows). */
    private static float[] transpose(float[] a, int rows, int cols) {
        float[] out = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = a[r * cols + c];
            }
        }
        return out;
    }

    /** Row (h, s, e) of the per-head layout is row (s, h, e) of ablate's; toAblate picks the direction. */
    private static float[] perHead(float[] a, long[] shape, int heads, boolean toAblate) {
        int rows = (int) shape[0];
        int cols = shape.length == 2 ? (int) shape[1] : 1;
        int hs = rows / 3 / heads;
        float[] out = new float[a.length];
        for (int s = 0; s < 3; s++) {
            for (int h = 0; h < heads; h++) {
                for (int e = 0; e < hs; e++) {
                    int ablateRow = (s * heads + h) * hs + e;
                    int hfRow = (h * 3 + s) * hs + e;
                    int from = toAblate ? hfRow : ablateRow;
                    int to = toAblate ? ablateRow : hfRow;
                    System.arraycopy(a, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }
}
