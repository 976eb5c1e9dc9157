package ablate.cluster.collective;

import ablate.trainer.parallel.AllReduce;
import ablate.trainer.parallel.FixedPointGrid;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The trainer's {@link AllReduce} over a {@link RingCollective} between trainer JVMs. CPU arrays are
 * reduced in their own memory (DJL hands out a view of a CPU tensor's storage); GPU arrays travel
 * through a host copy (use NCCL for those). Exact gradient reduction reduce-scatters the int64
 * fixed-point sums, decodes only this rank's chunk and all-gathers float32: 8 bytes per element out
 * and 4 back, instead of 8 both ways.
 */
public final class TcpAllReduce implements AllReduce {
    private final RingCollective ring;

    public TcpAllReduce(RingCollective ring) {
        this.ring = ring;
    }

    @Override
    public int rank() {
        return ring.rank();
    }

    @Override
    public int ranks() {
        return ring.ranks();
    }

    @Override
    public void sum(List<NDArray> arrays) {
        for (NDArray a : arrays) {
            ByteBuffer data = AllReduce.hostView(a);
            if (a.getDataType() == DataType.INT64) {
                ring.sum(data.asLongBuffer());
            } else {
                ring.sum(data.asFloatBuffer());
            }
            writeBackIfCopied(a, data);
        }
    }

    @Override
    public void mean(List<NDArray> arrays) {
        for (NDArray a : arrays) {
            if (a.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException("mean takes float32 arrays, got " + a.getDataType());
            }
        }
        sum(arrays);
        for (NDArray a : arrays) {
            a.divi(ring.ranks());
        }
    }

    @Override
    public List<byte[]> allGather(byte[] mine) {
        return ring.allGather(mine);
    }

    @Override
    public void sumFixedPoint(NDArray fixedPoint, FixedPointGrid grid, long[] offsets, NDArray out) {
        long n = fixedPoint.size();
        ByteBuffer sums = AllReduce.hostView(fixedPoint);
        ByteBuffer floats = out.getDevice().isGpu()
                ? ByteBuffer.allocateDirect(Math.toIntExact(4 * n)).order(ByteOrder.nativeOrder())
                : AllReduce.hostView(out);
        ring.reduceScatter(sums.asLongBuffer());
        RingCollective.Range mine = ring.chunk(ring.rank(), n);
        grid.decode(offsets, sums.asLongBuffer(), floats.asFloatBuffer(), mine.start(), mine.end());
        ring.allGather(floats.asFloatBuffer());
        writeBackIfCopied(out, floats);
    }

    /** A GPU array was reduced in a host copy: put the result back into its own memory. */
    private static void writeBackIfCopied(NDArray a, ByteBuffer data) {
        if (a.getDevice().isGpu()) {
            AllReduce.overwrite(a, a.getDataType() == DataType.INT64 ? data.asLongBuffer() : data.asFloatBuffer());
        }
    }

    @Override
    public void close() {
        ring.close();
    }
}
