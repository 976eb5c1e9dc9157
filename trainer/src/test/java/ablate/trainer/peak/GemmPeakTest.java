package ablate.trainer.peak;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.Precision;
import ablate.trainer.run.Torch;
import ai.djl.Device;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class GemmPeakTest {
    @Test
    void aShortRealCalibrationGivesAPositiveFiniteThroughputFromSeveralRuns() {
        Torch.configureThreads(2);
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        GemmPeak peak = GemmPeak.measure(Device.cpu(), Precision.FP32, 256, Duration.ofMillis(200), Clock.fixed(now, ZoneOffset.UTC));
        assertThat(peak.tflops()).isPositive().isFinite();
        assertThat(peak.minTflops()).isLessThanOrEqualTo(peak.tflops());
        assertThat(peak.maxTflops()).isGreaterThanOrEqualTo(peak.tflops());
        assertThat(peak.runs()).isGreaterThanOrEqualTo(3);
        assertThat(peak.size()).isEqualTo(256);
        assertThat(peak.measuredAt()).isEqualTo(now);
        assertThat(peak.summary()).startsWith("median of " + peak.runs() + " runs of 256x256x256, spread ");
    }
}
