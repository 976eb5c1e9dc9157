package ablate.trainer.peak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ablate.conf.Precision;
import ablate.conf.Settings;
import ablate.conf.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peak MFU divides by: train.peak-tflops, else this machine's calibration, else the estimate. */
class PeakTest {
    @TempDir
    Path tmp;

    private static final PeakKey TWO_THREADS = new PeakKey("cpu", "AMD EPYC", 2, Precision.FP32, "2.7.1");
    private static final GemmPeak MEASURED = new GemmPeak(0.2, 0.19, 0.21, 10, 2048, Instant.parse("2026-12-01T10:00:00Z"));

    private static TrainConfig train(String... overrides) {
        return Settings.load(Settings.Sources.ofPreset("debug", overrides)).train();
    }

    @Test
    void theConfiguredPeakWinsAndNeedsNoMachineKey() throws IOException {
        PeakCache cache = new PeakCache(tmp);
        cache.store(TWO_THREADS, MEASURED);
        Supplier<PeakKey> untouchable = () -> {
            throw new AssertionError("the machine's key is not needed when train.peak-tflops is set");
        };
        Peak peak = Peak.resolve(train("train.peak-tflops=2250", "train.threads=2"), untouchable, cache);
        assertThat(peak).isEqualTo(new Peak(2250e12, "train.peak-tflops"));
        assertThat(peak.describe()).isEqualTo("2250 TFLOP/s peak: train.peak-tflops");
    }

    @Test
    void aCalibrationOfThisMachineWinsOverTheEstimate() throws IOException {
        PeakCache cache = new PeakCache(tmp);
        cache.store(TWO_THREADS, MEASURED);
        Peak peak = Peak.resolve(train("train.threads=2"), () -> TWO_THREADS, cache);
        assertThat(peak.flopsPerSecond()).isCloseTo(0.2e12, within(1.0));
        assertThat(peak.source()).isEqualTo("measured GEMM peak (ablate calibrate, 2026-12-01)");
        assertThat(peak.describe()).isEqualTo("0.200 TFLOP/s peak: measured GEMM peak (ablate calibrate, 2026-12-01)");
    }

    @Test
    void withoutACalibrationForThisThreadCountTheEstimateSaysHowToMeasure() throws IOException {
        PeakCache cache = new PeakCache(tmp);
        cache.store(TWO_THREADS, MEASURED);
        PeakKey threeThreads = new PeakKey("cpu", "AMD EPYC", 3, Precision.FP32, "2.7.1");
        Peak peak = Peak.resolve(train("train.threads=3"), () -> threeThreads, cache);
        assertThat(peak.flopsPerSecond()).isCloseTo(3 * 0.064e12, within(1.0));
        assertThat(peak.source()).isEqualTo("built-in estimate; run `ablate calibrate --threads 3` to measure");
    }

    @Test
    void theCalibrationToRunMatchesTheRunsDeviceThreadsAndPrecision() {
        assertThat(Peak.calibration(train("train.threads=0"))).isEqualTo("ablate calibrate");
        assertThat(Peak.calibration(train("train.threads=4"))).isEqualTo("ablate calibrate --threads 4");
        assertThat(Peak.calibration(train("train.device=cuda:1", "train.precision=fp16")))
                .isEqualTo("ablate calibrate --device cuda:1 --dtype fp16");
    }

    @Test
    void anUnreadableCacheFallsBackToTheEstimateAndSaysWhy() throws IOException {
        PeakCache cache = new PeakCache(tmp);
        Files.writeString(cache.file(), "not json");
        Peak peak = Peak.resolve(train("train.threads=2"), () -> TWO_THREADS, cache);
        assertThat(peak.flopsPerSecond()).isCloseTo(2 * 0.064e12, within(1.0));
        assertThat(peak.source()).startsWith("built-in estimate; the peak cache is unreadable: " + cache.file());
    }
}
