package ablate.trainer.run;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/** libtorch through DJL, loaded offline from the pytorch-native jar on the class path. */
public final class Torch {
    private Torch() {}

    /**
     * Sets libtorch's intra-op threads (and one inter-op thread). The thread count is part of what
     * makes CPU results bitwise reproducible: reductions split differently with another count.
     */
    public static synchronized void configureThreads(int threads) {
        announceFirstLoad();
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        Engine.getEngine("PyTorch");
        if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
        if (!pinned) {
            pinned = true;
            MathLibraries.pinThreadCounts();
        }
    }

    private static boolean pinned;
    private static boolean announced;

    /**
     * The first load of libtorch on a machine unpacks it from its jar (about 430 MB) into DJL's cache
     * and takes up to a minute in which nothing else is printed: say so, once, so a first run does not
     * look hung.
     */
    private static synchronized void announceFirstLoad() {
        if (announced) {
            return;
        }
        announced = true;
        java.nio.file.Path cache = ai.djl.util.Utils.getEngineCacheDir("pytorch");
        boolean unpacked;
        try (var entries = java.nio.file.Files.list(cache)) {
            unpacked = entries.findAny().isPresent();
        } catch (java.io.IOException missing) {
            unpacked = false;
        }
        if (!unpacked) {
            org.slf4j.LoggerFactory.getLogger(Torch.class).info("first use of libtorch on this machine: unpacking it (about 430 MB) into {};"
                    + " this takes up to a minute, once", cache);
        }
    }

    /** The version of the libtorch DJL loaded (offline), e.g. "2.7.1". */
    public static String version() {
        System.setProperty("ai.djl.offline", "true");
        return Engine.getEngine("PyTorch").getVersion();
    }

    /** The math libraries this libtorch was built with (its BLAS, OpenMP, CUDA), as libtorch names them. */
    public static String mathLibraries() {
        System.setProperty("ai.djl.offline", "true");
        Engine.getEngine("PyTorch");
        return JniUtils.getFeatures().stream().filter(f -> f.matches("(?i).*(BLAS|MKL|OPENMP|CUDA|CUDNN|NCCL|LAPACK).*")).sorted()
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * The DJL device for train.device ("cpu" or "cuda:N"), checked against the libtorch that
     * loaded: a CUDA device needs a CUDA build (the CPU jar on the default class path has none)
     * and an index below the number of GPUs it sees.
     *
     * @throws IllegalArgumentException naming the setting and what to do
     */
    public static Device device(String name) {
        if (name.equals("cpu")) {
            return Device.cpu();
        }
        int colon = name.indexOf(':');
        int index = colon < 0 ? 0 : Integer.parseInt(name.substring(colon + 1));
        announceFirstLoad();
        System.setProperty("ai.djl.offline", "true");
        Engine engine = Engine.getEngine("PyTorch");
        if (!engine.hasCapability(StandardCapabilities.CUDA)) {
            throw new IllegalArgumentException("train.device = " + name + " but this libtorch has no CUDA: libtorch "
                    + engine.getVersion() + " with " + JniUtils.getFeatures() + " (the pytorch-native-cpu jar). Build with"
                    + " ./mvnw -Pcuda package and point PYTORCH_LIBRARY_PATH at a CUDA 12.8 libtorch 2.7.1 (README,"
                    + " \"Running on NVIDIA GPUs\")");
        }
        int gpus = engine.getGpuCount();
        if (index >= gpus) {
            throw new IllegalArgumentException("train.device = " + name + " but libtorch sees " + gpus + " GPU(s)"
                    + " (CUDA_VISIBLE_DEVICES=" + System.getenv().getOrDefault("CUDA_VISIBLE_DEVICES", "unset") + ")");
        }
        return Device.gpu(index);
    }

    /**
     * {@code array}'s values in memory libtorch allocated itself (64-byte aligned), closing
     * {@code array}. An array made from a Java array or buffer lives in memory of the JVM's malloc,
     * aligned to 16 bytes at best and differently from one run to the next; MKL's matrix kernels
     * (and vectorized reductions) take alignment-dependent paths, so a weight kept there makes the
     * last bits of results depend on the heap's state: this was why the same seed once gave another
     * loss on a busy machine. Every weight and constant that takes part in a product goes through here.
     */
    public static NDArray owned(NDArray array) {
        NDArray copy = array.duplicate();
        array.close();
        return copy;
    }

    /**
     * A float32 scalar in libtorch's own memory, for arithmetic inside the autograd graph. DJL's
     * {@code mul(Number)}, {@code div(Number)}, {@code pow(Number)} make the scalar from a Java
     * direct buffer and close it as soon as the op returns, but the graph keeps the scalar for the
     * backward pass (MulBackward saves the other factor): when a GC frees the buffer before
     * backward, the gradients are computed from freed memory. That was the rare garbage gradient
     * (inf, or other last bits) behind "same seed, other loss". A scalar made here is owned by
     * libtorch's allocator and lives as long as anything refers to it.
     */
    public static NDArray scalar(NDManager manager, float value) {
        return manager.full(new ai.djl.ndarray.types.Shape(), value);
    }

    /**
     * Copies {@code values} into {@code target}'s own storage. Not {@code NDArray.set(Buffer)}: that
     * gives the array storage in a Java buffer (aligned differently from run to run, so MKL's
     * results could differ in the last bits) and cuts it off from views of its old storage.
     */
    public static void copyInto(NDArray target, float[] values) {
        if (target.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32 && !target.getDevice().isGpu()) {
            target.toByteBuffer(true).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer().put(values);
            return;
        }
        try (NDManager scratch = target.getManager().newSubManager()) {
            NDArray source = scratch.create(values, target.getShape()).toType(target.getDataType(), false).toDevice(target.getDevice(), false);
            target.set(new ai.djl.ndarray.index.NDIndex("..."), source);
        }
    }

    /**
     * Sets libtorch's grad mode for this thread until closed, then restores it. Grad mode is
     * thread-local and on by default on every thread but the one that loaded the engine, so code
     * that scores or validates on its own thread (an evaluator, a trainer node's DJL thread) must
     * turn it off or every forward pass builds an autograd graph.
     */
    public static GradMode gradMode(boolean enabled) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(enabled);
        return new GradMode(previous);
    }

    /** A scope of grad mode; close restores the thread's previous mode. */
    public record GradMode(boolean previous) implements AutoCloseable {
        /**
         * Back-propagates a scalar loss into the gradients of the weights that require them
         * (libtorch accumulates). DJL's GradientCollector does the same but allows one open
         * collector per process; this needs none, so ranks in one JVM (tests) can train at once.
         */
        public void backward(NDArray loss) {
            NDArray ones = loss.getManager().ones(loss.getShape(), loss.getDataType());
            JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
        }

        @Override
        public void close() {
            JniUtils.setGradMode(previous);
        }
    }
}
