package ablate.trainer.peak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeakCacheTest {
    @TempDir
    Path tmp;

    private static final PeakKey ONE_THREAD = new PeakKey("cpu", "AMD EPYC", 1, Precision.FP32, "2.7.1");
    private static final GemmPeak MEASURED = new GemmPeak(0.104, 0.098, 0.107, 12, 2048, Instant.parse("2026-12-01T10:00:00Z"));

    @Test
    void aStoredPeakIsFoundUnderItsOwnKeyOnly() throws IOException {
        PeakCache cache = new PeakCache(tmp.resolve("ablate"));
        cache.store(ONE_THREAD, MEASURED);
        assertThat(new PeakCache(tmp.resolve("ablate")).find(ONE_THREAD)).contains(MEASURED);
        assertThat(cache.find(new PeakKey("cpu", "AMD EPYC", 2, Precision.FP32, "2.7.1"))).as("another thread count").isEmpty();
        assertThat(cache.find(new PeakKey("cpu", "Intel Xeon", 1, Precision.FP32, "2.7.1"))).as("another processor").isEmpty();
        assertThat(cache.find(new PeakKey("cpu", "AMD EPYC", 1, Precision.FP16, "2.7.1"))).as("another precision").isEmpty();
        assertThat(cache.find(new PeakKey("cpu", "AMD EPYC", 1, Precision.FP32, "2.8.0"))).as("another libtorch").isEmpty();
        assertThat(cache.find(new PeakKey("cuda", "AMD EPYC", 0, Precision.FP32, "2.7.1"))).as("another device").isEmpty();
    }

    @Test
    void calibratingAgainReplacesThatKeysPeakAndKeepsTheOthers() throws IOException {
        PeakCache cache = new PeakCache(tmp);
        PeakKey twoThreads = new PeakKey("cpu", "AMD EPYC", 2, Precision.FP32, "2.7.1");
        GemmPeak two = new GemmPeak(0.2, 0.19, 0.21, 8, 2048, Instant.parse("2026-12-01T11:00:00Z"));
        GemmPeak again = new GemmPeak(0.11, 0.1, 0.12, 9, 1024, Instant.parse("2026-12-02T09:00:00Z"));
        cache.store(ONE_THREAD, MEASURED);
        cache.store(twoThreads, two);
        cache.store(ONE_THREAD, again);
        assertThat(cache.find(ONE_THREAD)).contains(again);
        assertThat(cache.find(twoThreads)).contains(two);
        assertThat(Files.readString(cache.file()).split("\"processor\"", -1)).as("one entry per key").hasSize(3);
        try (var left = Files.list(tmp)) {
            assertThat(left).as("no temporary file left behind").containsExactly(cache.file());
        }
    }

    @Test
    void aMissingFileHoldsNothingButADamagedOneIsReported() throws IOException {
        PeakCache cache = new PeakCache(tmp);
        assertThat(cache.find(ONE_THREAD)).isEmpty();
        Files.writeString(cache.file(), "{\"peaks\": [");
        assertThatThrownBy(() -> cache.find(ONE_THREAD)).isInstanceOf(IOException.class)
                .hasMessageContaining(cache.file().toString()).hasMessageContaining("run `ablate calibrate` again");
        assertThatThrownBy(() -> cache.store(ONE_THREAD, MEASURED)).as("not silently overwritten").isInstanceOf(IOException.class);
    }

    @Test
    void theCacheLivesInAblateCacheDirElseXdgCacheHomeElseHomeDotCache() {
        Path home = Path.of("/home/me");
        assertThat(PeakCache.directory(Map.of("ABLATE_CACHE_DIR", "/tmp/c", "XDG_CACHE_HOME", "/x"), home)).isEqualTo(Path.of("/tmp/c"));
        assertThat(PeakCache.directory(Map.of("XDG_CACHE_HOME", "/x"), home)).isEqualTo(Path.of("/x/ablate"));
        assertThat(PeakCache.directory(Map.of("XDG_CACHE_HOME", "relative"), home)).as("the XDG spec ignores a relative path")
                .isEqualTo(Path.of("/home/me/.cache/ablate"));
        assertThat(PeakCache.directory(Map.of(), home)).isEqualTo(Path.of("/home/me/.cache/ablate"));
    }
}
