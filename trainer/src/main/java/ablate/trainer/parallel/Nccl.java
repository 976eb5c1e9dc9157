package ablate.trainer.parallel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * The few NCCL and CUDA runtime functions the all-reduce needs, bound with Java's FFM API
 * (java.lang.foreign) against the host's {@code libnccl.so.2} and {@code libcudart.so}. Nothing
 * here is loaded until {@link #load()}; on a host without them that fails with a message saying
 * what is missing. Signatures follow nccl.h (NCCL 2.x) and cuda_runtime_api.h.
 */
public final class Nccl {
    /** ncclUniqueId: an opaque 128-byte struct passed by value to ncclCommInitRank. */
    public static final int UNIQUE_ID_BYTES = 128;
    static final MemoryLayout UNIQUE_ID = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(UNIQUE_ID_BYTES, java.lang.foreign.ValueLayout.JAVA_BYTE));
    static final int SUCCESS = 0; // ncclSuccess
    static final int IN_PROGRESS = 7; // ncclInProgress
    static final int INT8 = 0; // ncclInt8
    static final int INT64 = 4; // ncclInt64
    static final int FLOAT32 = 7; // ncclFloat32
    static final int SUM = 0; // ncclSum
    static final int AVG = 4; // ncclAvg (NCCL >= 2.10)
    static final int CUDA_SUCCESS = 0; // cudaSuccess
    static final int CUDA_NOT_READY = 600; // cudaErrorNotReady

    /** Library names tried in order; the CUDA runtime's soname carries its major version. */
    static final List<String> NCCL_NAMES = List.of("libnccl.so.2", "libnccl.so");
    static final List<String> CUDART_NAMES = List.of("libcudart.so", "libcudart.so.13", "libcudart.so.12");

    final MethodHandle getUniqueId; // ncclResult_t ncclGetUniqueId(ncclUniqueId*)
    final MethodHandle commInitRank; // ncclResult_t ncclCommInitRank(ncclComm_t*, int nranks, ncclUniqueId, int rank)
    final MethodHandle allReduce; // ncclResult_t ncclAllReduce(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t)
    final MethodHandle allGather; // ncclResult_t ncclAllGather(const void*, void*, size_t sendcount, ncclDataType_t, ncclComm_t, cudaStream_t)
    final MethodHandle groupStart; // ncclResult_t ncclGroupStart()
    final MethodHandle groupEnd; // ncclResult_t ncclGroupEnd()
    final MethodHandle commGetAsyncError; // ncclResult_t ncclCommGetAsyncError(ncclComm_t, ncclResult_t*)
    final MethodHandle commAbort; // ncclResult_t ncclCommAbort(ncclComm_t)
    final MethodHandle commDestroy; // ncclResult_t ncclCommDestroy(ncclComm_t)
    final MethodHandle getErrorString; // const char* ncclGetErrorString(ncclResult_t)
    final MethodHandle setDevice; // cudaError_t cudaSetDevice(int)
    final MethodHandle streamQuery; // cudaError_t cudaStreamQuery(cudaStream_t)
    final MethodHandle streamSynchronize; // cudaError_t cudaStreamSynchronize(cudaStream_t)

    private Nccl(SymbolLookup nccl, SymbolLookup cudart) {
        Linker linker = Linker.nativeLinker();
        getUniqueId = bind(linker, nccl, "ncclGetUniqueId", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        commInitRank = bind(linker, nccl, "ncclCommInitRank", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, UNIQUE_ID, JAVA_INT));
        allReduce = bind(linker, nccl, "ncclAllReduce",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        allGather = bind(linker, nccl, "ncclAllGather",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        groupStart = bind(linker, nccl, "ncclGroupStart", FunctionDescriptor.of(JAVA_INT));
        groupEnd = bind(linker, nccl, "ncclGroupEnd", FunctionDescriptor.of(JAVA_INT));
        commGetAsyncError = bind(linker, nccl, "ncclCommGetAsyncError", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        commAbort = bind(linker, nccl, "ncclCommAbort", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        commDestroy = bind(linker, nccl, "ncclCommDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getErrorString = bind(linker, nccl, "ncclGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        setDevice = bind(linker, cudart, "cudaSetDevice", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        streamQuery = bind(linker, cudart, "cudaStreamQuery", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        streamSynchronize = bind(linker, cudart, "cudaStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /**
     * Loads libnccl and libcudart for the life of the JVM.
     *
     * @throws IllegalStateException naming the library that is missing and where it was looked for
     */
    public static Nccl load() {
        return new Nccl(library(NCCL_NAMES, "NCCL"), library(CUDART_NAMES, "the CUDA runtime"));
    }

    /** A fresh ncclUniqueId (rank 0 makes it; the coordinator hands it to the other ranks). */
    public byte[] uniqueId() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment id = arena.allocate(UNIQUE_ID);
            check((int) getUniqueId.invokeExact(id), "ncclGetUniqueId");
            return id.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The text of an ncclResult_t. */
    String errorString(int result) {
        try {
            MemorySegment s = (MemorySegment) getErrorString.invokeExact(result);
            return s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void check(int result, String call) {
        if (result != SUCCESS) {
            throw new AllReduceException(call + " failed: " + errorString(result) + " (ncclResult_t " + result + ")");
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new AllReduceException(t.toString(), t);
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new IllegalStateException(
                name + " is not exported by the loaded library; NCCL >= 2.10 and a CUDA runtime are needed"));
        return linker.downcallHandle(symbol, descriptor);
    }

    private static SymbolLookup library(List<String> names, String what) {
        StringBuilder tried = new StringBuilder();
        for (String name : names) {
            try {
                return SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                tried.append(tried.isEmpty() ? "" : ", ").append(name);
            }
        }
        throw new IllegalStateException("cannot load " + what + " (tried " + tried + " through the dynamic linker, "
                + "LD_LIBRARY_PATH=" + System.getenv().getOrDefault("LD_LIBRARY_PATH", "unset") + "): the NCCL all-reduce"
                + " needs an NVIDIA host with NCCL 2.x and the CUDA runtime installed; on CPU use LocalAllReduce");
    }
}
