package ablate.trainer.run;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** libtorch through DJL, loaded offline from the pytorch-native jar on the class path. */
public final class Torch {
    private Torch() {}

    /**
     * Sets libtorch's intra-op threads (and one inter-op thread). The thread count is part of what
     * makes CPU results bitwise reproducible: reductions split differently with another count.
     */
    public static synchronized void configureThreads(int threads) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        Engine.getEngine("PyTorch");
        if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }

    /** The DJL device for train.device ("cpu" or "cuda:N"). */
    public static Device device(String name) {
        if (name.equals("cpu")) {
            return Device.cpu();
        }
        int colon = name.indexOf(':');
        return Device.gpu(colon < 0 ? 0 : Integer.parseInt(name.substring(colon + 1)));
    }
}
