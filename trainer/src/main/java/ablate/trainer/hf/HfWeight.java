package ablate.trainer.hf;

import java.util.ArrayList;
import java.util.List;

/**
 * One ablate weight and the Hugging Face tensor(s) it is stored as. The transforms are pure index
 * permutations (no arithmetic), so import and export are exact.
 */
record HfWeight(String ablateName, List<String> hfNames, Layout layout) {
    /** How the Hugging Face tensors hold ablate's (rows, cols) weight. */
    enum Layout {
        /** The same array. */
        SAME,
        /** GPT-2's Conv1D: (cols, rows). */
        TRANSPOSED,
        /** Fused QKV grouped per head, rows (heads, 3, hs), where ablate has (3, heads, hs). */
        PER_HEAD_QKV,
        /** Separate q, k and v tensors stacked along rows make ablate's fused [q | k | v]. */
        ROWS
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
     * @param qkvRows for ROWS: rows of q, k and v
     */
    List<long[]> hfShapes(long[] shape, int[] qkvRows) {
        return switch (layout) {
            case SAME, PER_HEAD_QKV -> List.of(shape);
            case TRANSPOSED -> List.of(shape.length == 2 ? new long[] {shape[1], shape[0]} : shape);
            case ROWS -> {
                List<long[]> out = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    out.add(shape.length == 2 ? new long[] {qkvRows[i], shape[1]} : new long[] {qkvRows[i]});
                }
                yield out;
            }
        };
    }

    /**
     * The Hugging Face tensors of ablate's values.
     *
     * @param qkvRows for ROWS: rows of q, k and v
     */
    List<Tensor> toHf(float[] values, long[] shape, int heads, int[] qkvRows) {
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
                for (int i = 0; i < 3; i++) {
                    float[] part = new float[qkvRows[i] * cols];
                    System.arraycopy(values, at, part, 0, part.length);
                    at += part.length;
                    out.add(new Tensor(hfNames.get(i), shapes.get(i), part));
                }
                yield out;
            }
        };
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
