package ablate.cluster.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page's curves stay bounded however long it stays open: charts.js (as packed in the jar) run by
 * Node over a million logged steps keeps at most MAX_POINTS per series, evenly spaced over the run.
 */
class ChartsScriptTest {
    @TempDir
    Path dir;

    @Test
    void aMillionStepsKeepAtMostMaxPointsEvenlySpread() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/node")) || Files.isExecutable(Path.of("/usr/local/bin/node")),
                "SKIPPED LOUDLY: no node binary; install Node.js (Debian: apt-get install -y nodejs) to run the dashboard's chart script");
        String charts;
        try (InputStream in = getClass().getResourceAsStream("/ablate/dashboard/charts.js")) {
            charts = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path script = Files.writeString(dir.resolve("bounded.js"), charts + """
                const curves = new Charts.RunCurves();
                for (let step = 1; step <= 1000000; step++) {
                  curves.add([{ step, loss: 1 / step, lr: 3e-4, val_loss: step % 1000 === 0 ? 2 : null }]);
                }
                const x = curves.train.x;
                const gaps = new Set(x.slice(1).map((v, i) => v - x[i]));
                console.log(JSON.stringify({ train: x.length, val: curves.val.x.length, last: x[x.length - 1], gaps: [...gaps],
                  max: Charts.MAX_POINTS, loss: curves.train.cols.loss.length }));
                """);
        Process p = new ProcessBuilder("node", script.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.exitValue()).as(out).isZero();
        var result = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
        int max = result.path("max").asInt();
        assertThat(result.path("train").asInt()).isBetween(max / 2, max);
        assertThat(result.path("loss").asInt()).isEqualTo(result.path("train").asInt());
        assertThat(result.path("val").asInt()).as("1000 validation points: all kept").isEqualTo(1000);
        assertThat(result.path("gaps")).as("one spacing over the whole run").hasSize(1);
        assertThat(result.path("last").asLong()).isGreaterThan(1_000_000 - result.path("gaps").get(0).asLong() - 1);
    }
}
