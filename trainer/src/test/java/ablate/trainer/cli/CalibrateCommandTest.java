package ablate.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.Settings;
import ablate.conf.TrainConfig;
import ablate.trainer.peak.Peak;
import ablate.trainer.peak.PeakCache;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CalibrateCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aCalibrationIsPrintedAndCachedForRunsOfTheSameThreadCountOnly() {
        PeakCache cache = new PeakCache(tmp);
        Result r = calibrate(cache, "--threads", "2", "--size", "256", "--seconds", "0.2");
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).startsWith("peak: ").contains(" TFLOP/s fp32 GEMM on cpu with 2 threads (median of ")
                .contains(" runs of 256x256x256, spread ").contains("cached in " + cache.file());
        Peak two = Peak.resolve(train("train.threads=2"), cache);
        assertThat(two.source()).startsWith("measured GEMM peak (ablate calibrate, ");
        assertThat(r.out).contains(String.format(java.util.Locale.ROOT, "peak: %.3g TFLOP/s", two.flopsPerSecond() / 1e12));
        assertThat(Peak.resolve(train("train.threads=1"), cache).source()).startsWith("built-in estimate");
    }

    @Test
    void badOptionsAreRefusedBeforeAnythingIsMeasured() {
        PeakCache cache = new PeakCache(tmp);
        Result r = calibrate(cache, "--device", "tpu");
        assertThat(r.code).isEqualTo(Cli.BAD_INPUT);
        assertThat(r.err).contains("--device must be cpu or cuda:N, got 'tpu'");
        assertThat(calibrate(cache, "--dtype", "bf16").err).contains("--dtype must be fp32 or fp16");
        assertThat(cache.file()).doesNotExist();
    }

    private static TrainConfig train(String... overrides) {
        return Settings.load(Settings.Sources.ofPreset("debug", overrides)).train();
    }

    private record Result(int code, String out, String err) {}

    private static Result calibrate(PeakCache cache, String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new CalibrateCommand(cache)).execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }
}
