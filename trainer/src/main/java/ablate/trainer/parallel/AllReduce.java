package ablate.trainer.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * One rank's end of a data-parallel group: all-reduces in place and gathers small records. After
 * a call every rank holds the same result. A peer that fails or never arrives makes the call fail
 * with {@link AllReduceException} within the group's deadline instead of hanging, so the step fails.
 */
public interface AllReduce extends AutoCloseable {
    /** This rank, in [0, ranks). */
    int rank();

    int ranks();

    /**
     * Replaces each array by the element-wise sum of that array over all ranks: float32 arrays in an
     * order fixed for the group (so every rank gets the same bits), int64 arrays exactly.
     */
    void sum(List<NDArray> arrays);

    /** Replaces each float32 array by the element-wise mean of that array over all ranks. */
    void mean(List<NDArray> arrays);

    /** Every rank's {@code mine}, in rank order: small records such as a step's {@link StepHeader}. */
    List<byte[]> allGather(byte[] mine);

    /**
     * Exact gradient reduction: {@code out} (float32) becomes {@code grid.decode} of the sum over
     * ranks of {@code fixedPoint} (int64, the same length). {@code fixedPoint} may be left holding
     * anything. This default sums the integers, then decodes every element; a collective that
     * reduce-scatters can decode only its own chunk and all-gather the floats, moving 12 bytes per
     * element instead of 16.
     */
    default void sumFixedPoint(NDArray fixedPoint, FixedPointGrid grid, long[] offsets, NDArray out) {
        sum(List.of(fixedPoint));
        long n = fixedPoint.size();
        ByteBuffer sums = hostView(fixedPoint);
        ByteBuffer floats = out.getDevice().isGpu() ? ByteBuffer.allocateDirect(Math.toIntExact(4 * n)) : hostView(out);
        floats.order(ByteOrder.nativeOrder());
        grid.decode(offsets, sums.asLongBuffer(), floats.asFloatBuffer(), 0, n);
        if (out.getDevice().isGpu()) {
            overwrite(out, floats.asFloatBuffer());
        }
    }

    /**
     * Writes {@code values} into {@code target}'s own memory. Not {@code NDArray.set(Buffer)}: that
     * gives the array new storage, and views of the old one (the gradient views of a flat
     * buffer) would silently stop seeing it.
     */
    static void overwrite(NDArray target, java.nio.Buffer values) {
        if (!target.getDevice().isGpu()) {
            ByteBuffer view = hostView(target);
            switch (values) {
                case java.nio.FloatBuffer f -> view.asFloatBuffer().put(f.duplicate().rewind());
                case java.nio.LongBuffer l -> view.asLongBuffer().put(l.duplicate().rewind());
                default -> throw new IllegalArgumentException("float or long values expected, got " + values.getClass());
            }
            return;
        }
        try (ai.djl.ndarray.NDManager m = target.getManager().newSubManager()) {
            NDArray copy = m.create(values, target.getShape(), target.getDataType()).toDevice(target.getDevice(), false);
            target.set(new ai.djl.ndarray.index.NDIndex("..."), copy);
        }
    }

    /** A CPU array's memory as a buffer (no copy), or a host copy of a GPU array's; native byte order. */
    static ByteBuffer hostView(NDArray array) {
        if (array.getDataType() != DataType.FLOAT32 && array.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException("all-reduce takes float32 or int64 arrays, got " + array.getDataType());
        }
        return array.toByteBuffer(!array.getDevice().isGpu()).order(ByteOrder.nativeOrder());
    }

    /**
     * Called by every rank once it holds the step's summed gradient, before the update is applied
     * ({@code step}: the step being completed). A group whose members can fail midway waits here
     * until the step is committed on every rank (two-phase), so that a rank lost at the end of the
     * collective never leaves some survivors one step ahead of the others; it throws
     * {@link AllReduceException} when the step will not be committed (the group broke). This
     * default commits at once.
     */
    default void beforeUpdate(long step) {}

    /** The group of one: every operation leaves its arguments as they are. */
    static AllReduce single() {
        return SingleRank.INSTANCE;
    }

    @Override
    void close();
}
