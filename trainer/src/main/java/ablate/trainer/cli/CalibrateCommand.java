package ablate.trainer.cli;

import ablate.conf.Precision;
import ablate.trainer.peak.GemmPeak;
import ablate.trainer.peak.PeakCache;
import ablate.trainer.peak.PeakKey;
import ablate.trainer.run.Torch;
import ai.djl.Device;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ablate calibrate}: measure the matmul peak that MFU is read against, and cache it for this machine. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Measure this machine's peak matmul throughput, the peak MFU is read against: time square products "
                + "through libtorch on --device with --threads (two untimed first, then runs for --seconds), print the median "
                + "and cache it.",
                "The cache (~/.cache/ablate/" + PeakCache.FILE + "; XDG_CACHE_HOME or ABLATE_CACHE_DIR move it) keeps one peak "
                        + "per device, processor, thread count, precision and libtorch version. `ablate train` and `ablate bench` "
                        + "use the one matching their train.device, train.threads and train.precision unless train.peak-tflops "
                        + "is set, and say which peak they used.",
                "Measure on an otherwise idle machine: anything else running slows the products, lowers the peak and "
                        + "raises every MFU read against it."},
        footerHeading = "%nExamples:%n",
        footer = {"  ablate calibrate                      # every core, as train.threads = 0",
                "  ablate calibrate --threads 2",
                "  ablate calibrate --device cuda:0 --dtype fp16"})
public final class CalibrateCommand implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "cpu|cuda:N", defaultValue = "cpu", description = "Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "libtorch intra-op threads on a CPU; 0 means every core, as train.threads = 0. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--size", paramLabel = "N", defaultValue = "0",
            description = "n of the n x n x n product; 0 means 2048 on a CPU and 8192 on a GPU. Default: ${DEFAULT-VALUE}.")
    int size;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "How long to repeat the timed runs (at least 3 runs). Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--dtype", paramLabel = "fp32|fp16", defaultValue = "fp32",
            description = "Precision of the product, as train.precision. Default: ${DEFAULT-VALUE}.")
    String dtype;

    private final PeakCache cache;

    public CalibrateCommand() {
        this(PeakCache.standard());
    }

    /** A command that caches into {@code cache} (tests: never this user's). */
    CalibrateCommand(PeakCache cache) {
        this.cache = cache;
    }

    @Override
    public Integer call() {
        return Cli.guard(this::calibrate);
    }

    private int calibrate() throws Exception {
        if (!device.matches("cpu|cuda(:\\d+)?")) {
            throw new IllegalArgumentException("--device must be cpu or cuda:N, got '" + device + "'");
        }
        if (!dtype.matches("fp32|fp16")) {
            throw new IllegalArgumentException("--dtype must be fp32 or fp16, got '" + dtype + "'");
        }
        if (threads < 0 || size < 0 || size > 32768 || !(seconds >= 0 && seconds <= 600)) {
            throw new IllegalArgumentException("--threads must be >= 0, --size in [0, 32768] and --seconds in [0, 600], got "
                    + threads + ", " + size + " and " + seconds);
        }
        boolean cpu = device.equals("cpu");
        int used = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Torch.configureThreads(used);
        Device target = Torch.device(device); // fails with what to do when the GPU is not there
        Precision precision = Precision.valueOf(dtype.toUpperCase(Locale.ROOT));
        PeakKey key = PeakKey.here(device, cpu ? used : 0, precision);
        GemmPeak peak = GemmPeak.measure(target, precision, size > 0 ? size : cpu ? 2048 : 8192,
                Duration.ofNanos((long) (seconds * 1e9)), Clock.systemUTC());
        System.out.printf(Locale.ROOT, "peak: %.3g TFLOP/s %s GEMM on %s%s (%s)%n", peak.tflops(), dtype, device,
                cpu ? " with " + used + (used == 1 ? " thread" : " threads") : "", peak.summary());
        cache.store(key, peak);
        System.out.printf("cached in %s for %s, libtorch %s%n", cache.file(), key.processor(), key.libtorch());
        return Cli.OK;
    }
}
