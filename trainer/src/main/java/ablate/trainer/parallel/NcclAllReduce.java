package ablate.trainer.parallel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * All-reduce of CUDA arrays with NCCL, in place, on libtorch's current stream of the rank's
 * device (so it is ordered after the backward that produced the gradients). The communicator is
 * made from an ncclUniqueId that rank 0 creates ({@link Nccl#uniqueId()}) and the coordinator
 * hands to every rank. Completion is polled (cudaStreamQuery) together with
 * ncclCommGetAsyncError against a deadline; an error or a passed deadline aborts the
 * communicator (ncclCommAbort) and fails the call, as NCCL's documentation prescribes, so a
 * failed peer becomes a failed step and not a hang. After a failure the object is unusable. The
 * arrays of one call are reduced in one NCCL group (ncclGroupStart/End): one launch, not one per
 * array; the trainer passes its gradients as one flat buffer anyway. int64 arrays sum exactly.
 */
public final class NcclAllReduce implements AllReduce {
    private final Nccl nccl;
    private final TorchShim torch;
    private final int rank;
    private final int ranks;
    private final int device;
    private final Duration timeout;
    private MemorySegment comm;

    private NcclAllReduce(Nccl nccl, TorchShim torch, Settings settings, MemorySegment comm) {
        this.nccl = nccl;
        this.torch = torch;
        this.rank = settings.rank();
        this.ranks = settings.ranks();
        this.device = settings.device();
        this.timeout = settings.timeout();
        this.comm = comm;
    }

    /** Who this rank is and how long an all-reduce may take. */
    public record Settings(int rank, int ranks, int device, Duration timeout) {}

    /** Where the small device buffers of {@link #allGather} are made (on the rank's GPU). */
    private NDManager scratch;

    /** Joins the communicator named by {@code uniqueId} (blocks until all ranks have joined, as ncclCommInitRank does). */
    public static NcclAllReduce join(Nccl nccl, TorchShim torch, byte[] uniqueId, Settings settings) {
        NcclAllReduce joined = connect(nccl, torch, uniqueId, settings);
        joined.scratch = NDManager.newBaseManager(ai.djl.Device.gpu(settings.device()));
        return joined;
    }

    private static NcclAllReduce connect(Nccl nccl, TorchShim torch, byte[] uniqueId, Settings settings) {
        if (uniqueId.length != Nccl.UNIQUE_ID_BYTES) {
            throw new IllegalArgumentException("an ncclUniqueId has " + Nccl.UNIQUE_ID_BYTES + " bytes, got " + uniqueId.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            int err = (int) nccl.setDevice.invokeExact(settings.device());
            if (err != Nccl.CUDA_SUCCESS) {
                throw new AllReduceException("cudaSetDevice(" + settings.device() + ") failed with cudaError_t " + err);
            }
            MemorySegment commOut = arena.allocate(ADDRESS);
            MemorySegment id = arena.allocate(Nccl.UNIQUE_ID);
            MemorySegment.copy(uniqueId, 0, id, JAVA_BYTE, 0, uniqueId.length);
            nccl.check((int) nccl.commInitRank.invokeExact(commOut, settings.ranks(), id, settings.rank()), "ncclCommInitRank");
            return new NcclAllReduce(nccl, torch, settings, commOut.get(ADDRESS, 0));
        } catch (Throwable t) {
            throw Nccl.rethrow(t);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int ranks() {
        return ranks;
    }

    @Override
    public void sum(List<NDArray> arrays) {
        reduce(arrays, Nccl.SUM);
    }

    @Override
    public void mean(List<NDArray> arrays) {
        reduce(arrays, Nccl.AVG);
    }

    private void reduce(List<NDArray> arrays, int op) {
        checkOpen();
        MemorySegment stream = torch.currentCudaStream(device);
        try {
            List<Integer> types = new ArrayList<>(arrays.size());
            for (NDArray a : arrays) {
                boolean float32 = a.getDataType() == DataType.FLOAT32;
                boolean int64 = a.getDataType() == DataType.INT64 && op == Nccl.SUM;
                if (!(float32 || int64) || !a.getDevice().isGpu() || a.getDevice().getDeviceId() != device) {
                    throw new IllegalArgumentException("NCCL all-reduce takes float32 (sum, mean) or int64 (sum) arrays on cuda:"
                            + device + ", got " + a.getDataType() + " on " + a.getDevice());
                }
                types.add(float32 ? Nccl.FLOAT32 : Nccl.INT64);
            }
            nccl.check((int) nccl.groupStart.invokeExact(), "ncclGroupStart");
            for (int i = 0; i < arrays.size(); i++) {
                NDArray a = arrays.get(i);
                MemorySegment data = torch.dataPointer(a);
                int err = (int) nccl.allReduce.invokeExact(data, data, a.size(), (int) types.get(i), op, comm, stream);
                if (err != Nccl.SUCCESS && err != Nccl.IN_PROGRESS) {
                    throw fail("ncclAllReduce: " + nccl.errorString(err));
                }
            }
            int ended = (int) nccl.groupEnd.invokeExact();
            if (ended != Nccl.SUCCESS && ended != Nccl.IN_PROGRESS) {
                throw fail("ncclGroupEnd: " + nccl.errorString(ended));
            }
            await(stream);
        } catch (AllReduceException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw Nccl.rethrow(t);
        }
    }

    /**
     * Gathers records through two ncclAllGather calls on the rank's GPU: the lengths, then the
     * records padded to the longest. Records are small (a step header), so this is a latency cost.
     */
    @Override
    public List<byte[]> allGather(byte[] mine) {
        checkOpen();
        MemorySegment stream = torch.currentCudaStream(device);
        try (NDManager m = scratch.newSubManager()) {
            long[] lengths = gather(m, m.create(new long[] {mine.length}), stream).toLongArray();
            int longest = (int) Arrays.stream(lengths).max().orElse(0);
            byte[] padded = Arrays.copyOf(mine, Math.max(1, longest));
            byte[] all = gather(m, m.create(padded), stream).toByteArray();
            List<byte[]> out = new ArrayList<>(ranks);
            for (int r = 0; r < ranks; r++) {
                out.add(Arrays.copyOfRange(all, r * padded.length, r * padded.length + (int) lengths[r]));
            }
            return out;
        } catch (AllReduceException e) {
            throw e;
        } catch (Throwable t) {
            throw Nccl.rethrow(t);
        }
    }

    /** ncclAllGather of a host array copied to the GPU; returns the (ranks x n) result, on the GPU. */
    private NDArray gather(NDManager m, NDArray host, MemorySegment stream) throws Throwable {
        NDArray send = host.toDevice(ai.djl.Device.gpu(device), false);
        NDArray recv = m.zeros(new Shape(ranks * host.size()), host.getDataType(), ai.djl.Device.gpu(device));
        int type = host.getDataType() == DataType.INT64 ? Nccl.INT64 : Nccl.INT8;
        int err = (int) nccl.allGather.invokeExact(torch.dataPointer(send), torch.dataPointer(recv), host.size(), type, comm, stream);
        if (err != Nccl.SUCCESS && err != Nccl.IN_PROGRESS) {
            throw fail("ncclAllGather: " + nccl.errorString(err));
        }
        await(stream);
        return recv;
    }

    private void checkOpen() {
        if (comm == null) {
            throw new AllReduceException("rank " + rank + ": the communicator was aborted by an earlier failure");
        }
    }

    /** Polls the stream and the communicator's async error until done, an error, or the deadline. */
    private void await(MemorySegment stream) throws Throwable {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment asyncError = arena.allocate(JAVA_INT);
            while (true) {
                int status = (int) nccl.streamQuery.invokeExact(stream);
                if (status == Nccl.CUDA_SUCCESS) {
                    return;
                }
                if (status != Nccl.CUDA_NOT_READY) {
                    throw fail("cudaStreamQuery returned cudaError_t " + status);
                }
                nccl.check((int) nccl.commGetAsyncError.invokeExact(comm, asyncError), "ncclCommGetAsyncError");
                int async = asyncError.get(JAVA_INT, 0);
                if (async != Nccl.SUCCESS && async != Nccl.IN_PROGRESS) {
                    throw fail("the communicator reported " + nccl.errorString(async));
                }
                if (System.nanoTime() > deadline) {
                    throw fail("not done within " + timeout + " (a peer is gone or stuck)");
                }
                Thread.onSpinWait();
            }
        }
    }

    /** Aborts the communicator (which also unblocks its kernels) and returns the failure to throw. */
    private AllReduceException fail(String why) {
        try {
            int ignored = (int) nccl.commAbort.invokeExact(comm);
        } catch (Throwable t) {
            return new AllReduceException("rank " + rank + " of " + ranks + ": " + why + "; ncclCommAbort failed too: " + t, t);
        } finally {
            comm = null;
        }
        return new AllReduceException("rank " + rank + " of " + ranks + ": " + why + "; communicator aborted");
    }

    @Override
    public void close() {
        if (scratch != null) {
            scratch.close();
        }
        if (comm != null) {
            try {
                int ignored = (int) nccl.commDestroy.invokeExact(comm);
            } catch (Throwable t) {
                throw Nccl.rethrow(t);
            } finally {
                comm = null;
            }
        }
    }
}
