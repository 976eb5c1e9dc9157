package ablate.trainer.model;

import ai.djl.Device;
import java.lang.management.ManagementFactory;

/**
 * The memory a model may use, which {@link ModelMemory#requireFits} compares an estimate with.
 * Commands take it from {@link #of}; tests inject small numbers instead of building huge models.
 *
 * <p>{@code machine} is the machine's total memory as the OS reports it to the JVM (a container's
 * limit where one is set), not the memory free now: free memory moves with other processes and
 * with the page cache, which the mapped checkpoint files themselves fill, so comparing with it
 * would refuse or accept the same model depending on the moment. The check is there to refuse,
 * the same way every time, what cannot fit at all; a model that needs most of the machine may
 * still be killed when other processes hold the rest. The JVM's maximum heap is not subtracted
 * from it: the heap only takes what Java arrays use, and those are counted in the estimate.
 *
 * @param machine bytes of memory of this machine
 * @param heap the most the JVM's heap may grow to ({@code -Xmx}, {@link Runtime#maxMemory})
 * @param modelOnCpu whether the model's arrays live in this machine's memory; false for a GPU,
 *     whose memory libtorch checks itself when the model is placed (and reports when it is short)
 */
public record AvailableMemory(long machine, long heap, boolean modelOnCpu) {

    public AvailableMemory {
        if (machine <= 0 || heap <= 0) {
            throw new IllegalArgumentException("available memory must be positive, got machine " + machine + ", heap " + heap);
        }
    }

    /** This machine and JVM, for a model on {@code device}. */
    public static AvailableMemory of(Device device) {
        return here(!device.isGpu());
    }

    /** This machine and JVM. */
    public static AvailableMemory here(boolean modelOnCpu) {
        long total = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return new AvailableMemory(total, Runtime.getRuntime().maxMemory(), modelOnCpu);
    }
}
