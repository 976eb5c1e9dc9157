package ablate.trainer.peak;

import ablate.conf.Precision;
import ablate.trainer.run.Torch;
import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a measured peak holds for. The same matmul runs at another speed on another processor,
 * with another thread count or precision, or through another libtorch (its MKL or cuBLAS), so a
 * calibration is reused only when all of these match.
 *
 * @param device "cpu" or "cuda"; a GPU's index is left out, as identical GPUs share a peak
 * @param processor the CPU's model name (/proc/cpuinfo), or the GPU's compute capability and memory
 * @param threads libtorch's intra-op threads on a CPU; 0 on a GPU, whose matmul does not use them
 * @param dtype the precision of the matmul
 * @param libtorch libtorch's version
 */
public record PeakKey(String device, String processor, int threads, Precision dtype, String libtorch) {
    public PeakKey {
        if (!device.equals("cpu") && !device.equals("cuda")) {
            throw new IllegalArgumentException("device must be cpu or cuda, got '" + device + "'");
        }
        if (processor.isBlank() || libtorch.isBlank()) {
            throw new IllegalArgumentException("processor and libtorch must be named, got '" + processor + "' and '" + libtorch + "'");
        }
        if (device.equals("cpu") ? threads <= 0 : threads != 0) {
            throw new IllegalArgumentException("threads must be positive on a CPU and 0 on a GPU, got " + threads + " on " + device);
        }
    }

    /**
     * This machine's key for {@code device} (train.device: "cpu" or "cuda:N") with {@code threads}
     * intra-op threads (ignored on a GPU). Loads libtorch to read its version.
     */
    public static PeakKey here(String device, int threads, Precision dtype) {
        if (device.equals("cpu")) {
            return new PeakKey("cpu", cpuModel(), threads, dtype, Torch.version());
        }
        int colon = device.indexOf(':');
        int index = colon < 0 ? 0 : Integer.parseInt(device.substring(colon + 1));
        return new PeakKey("cuda", gpuModel(index), 0, dtype, Torch.version());
    }

    /** "fp32", "fp16": the name the cache file and the command line use. */
    public String dtypeName() {
        return dtype.name().toLowerCase(Locale.ROOT);
    }

    /** The first "model name" of /proc/cpuinfo; the architecture where there is none (not Linux). */
    private static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try {
            if (Files.isReadable(cpuinfo)) {
                for (String line : Files.readAllLines(cpuinfo)) {
                    if (line.startsWith("model name") && line.contains(":")) {
                        return line.substring(line.indexOf(':') + 1).strip();
                    }
                }
            }
        } catch (IOException unreadable) {
            // named by its architecture below
        }
        return System.getProperty("os.arch") + " (" + System.getProperty("os.name") + ", no model name)";
    }

    /**
     * DJL does not tell a GPU's marketing name; its compute capability and memory tell the models
     * apart that matter here (an H100 from an H200, an A100 40 GB from 80 GB).
     */
    private static String gpuModel(int index) {
        try {
            if (!CudaUtils.hasCuda()) {
                return "GPU " + index + " (no CUDA)";
            }
            long mib = CudaUtils.getGpuMemory(Device.gpu(index)).getMax() >> 20;
            return String.format(Locale.ROOT, "GPU, compute capability %s, %,d MiB", CudaUtils.getComputeCapability(index), mib);
        } catch (RuntimeException | UnsatisfiedLinkError unidentified) {
            return "GPU " + index + " (unidentified: " + unidentified.getMessage() + ")";
        }
    }
}
