package ablate.trainer.peak;

import ablate.conf.Precision;
import ablate.conf.TrainConfig;
import java.io.IOException;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peak FLOP/s of one device that MFU divides by, and where it came from, so that an MFU can
 * be read for what it is: against a vendor figure, a measured matmul, or a guess.
 *
 * <p>Nothing is measured here: calibrating at every start would slow each run (and each test) by
 * seconds and make its MFU depend on what else the machine did in those seconds. A machine is
 * measured once, on purpose, with {@code ablate calibrate}.
 *
 * @param flopsPerSecond peak of one device
 * @param source "train.peak-tflops", "measured GEMM peak (ablate calibrate, DATE)" or "built-in estimate; ..."
 */
public record Peak(double flopsPerSecond, String source) {
    private static final Logger log = LoggerFactory.getLogger(Peak.class);
    public static final String CONFIGURED = "train.peak-tflops";

    public Peak {
        if (!(flopsPerSecond > 0 && Double.isFinite(flopsPerSecond)) || source.isBlank()) {
            throw new IllegalArgumentException("a peak needs positive FLOP/s and a source, got " + flopsPerSecond + " from '" + source + "'");
        }
    }

    /** This machine's peak for {@code train}, looked up in {@code cache}; see {@link #resolve(TrainConfig, Supplier, PeakCache)}. */
    public static Peak resolve(TrainConfig train, PeakCache cache) {
        return resolve(train, () -> PeakKey.here(train.device(), train.effectiveThreads(), train.mixedPrecision().precision()), cache);
    }

    /**
     * In this order: train.peak-tflops when set (> 0); else the peak {@code ablate calibrate}
     * measured for this device, processor, thread count, precision and libtorch ({@code key},
     * computed only when needed: it loads libtorch); else the built-in estimate, whose source says
     * how to measure. An unreadable cache is reported and falls back to the estimate: MFU is a
     * figure to read, not a reason to stop a run.
     */
    static Peak resolve(TrainConfig train, Supplier<PeakKey> key, PeakCache cache) {
        if (train.peakTflops() > 0) {
            return new Peak(train.peakTflops() * 1e12, CONFIGURED);
        }
        Optional<GemmPeak> measured;
        try {
            measured = cache.find(key.get());
        } catch (IOException e) {
            log.warn("MFU uses the built-in peak estimate: {}", e.getMessage());
            return new Peak(train.estimatedPeakFlopsPerDevice(), "built-in estimate; the peak cache is unreadable: " + e.getMessage());
        }
        return measured.map(m -> new Peak(m.tflops() * 1e12, "measured GEMM peak (ablate calibrate, "
                        + m.measuredAt().atZone(ZoneOffset.UTC).toLocalDate() + ")"))
                .orElseGet(() -> new Peak(train.estimatedPeakFlopsPerDevice(), "built-in estimate; run `" + calibration(train)
                        + "` to measure"));
    }

    /** The calibrate command whose peak this run would find: the same device, threads and precision. */
    static String calibration(TrainConfig train) {
        StringBuilder command = new StringBuilder("ablate calibrate");
        if (!train.device().equals("cpu")) {
            command.append(" --device ").append(train.device());
        } else if (train.threads() > 0) {
            command.append(" --threads ").append(train.threads());
        }
        if (train.mixedPrecision().precision() != Precision.FP32) {
            command.append(" --dtype ").append(train.mixedPrecision().precision().name().toLowerCase(Locale.ROOT));
        }
        return command.toString();
    }

    /** "0.208 TFLOP/s peak: measured GEMM peak (ablate calibrate, 2026-12-01)" */
    public String describe() {
        double tflops = flopsPerSecond / 1e12;
        return String.format(Locale.ROOT, tflops >= 100 ? "%.0f TFLOP/s peak: %s" : "%.3g TFLOP/s peak: %s", tflops, source);
    }
}
