package ablate.evaluator.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import org.jsoup.Jsoup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens/s per run with its spread, and comparisons that say when a difference is noise or the load differed. */
class ThroughputComparisonTest {
    @TempDir
    Path study;

    /** Five slow warm-up steps, then {@code steps} steps at {@code rate(i)}. */
    private static List<Double> rates(int steps, IntToDoubleFunction rate) {
        List<Double> out = new ArrayList<>(List.of(100.0, 150.0, 300.0, 600.0, 900.0));
        for (int i = 0; i < steps; i++) {
            out.add(rate.applyAsDouble(i));
        }
        return out;
    }

    private Report study(List<Double> base, List<Double> variant) throws Exception {
        RunFolder.write(study.resolve("base"), "", base);
        RunFolder.write(study.resolve("alibi"), "model.position = alibi", variant);
        Files.writeString(study.resolve(Study.STUDY_CONF), "base = base\n");
        return new Report(Study.load(List.of(study)));
    }

    @Test
    void theWarmUpStepsAreLeftOutAndTheSpreadIsHalfTheInterquartileRange() {
        Speed s = Speed.of(rates(40, i -> 1000 + 10 * Math.sin(i)));
        assertThat(s.steps()).isEqualTo(40);
        assertThat(s.median()).isCloseTo(1000, within(5.0));
        assertThat(s.spread()).isBetween(5.0, 10.0);
        assertThat(s.variability()).isLessThan(0.02);
    }

    @Test
    void overlappingSpreadsAreWithinNoise() throws Exception {
        Report report = study(rates(40, i -> 1000 + 10 * Math.sin(i)), rates(40, i -> 1004 + 10 * Math.cos(i)));
        ThroughputComparison c = report.throughputs().getFirst();
        assertThat(c.withinNoise()).isTrue();
        assertThat(c.differentLoad()).isFalse();
        assertThat(c.describe()).startsWith("alibi: throughput x1.00 vs base (").contains("tokens/s, median ± half the IQR over 40 and 40 steps): within noise");
        assertThat(report.markdown()).contains("## Throughput").contains("- alibi: throughput x1.00 vs base");
        assertThat(Jsoup.parse(report.html()).select("#throughput-comparison li").text()).contains("within noise");
    }

    @Test
    void separatedSpreadsAreADifferenceBeyondTheNoise() throws Exception {
        Report report = study(rates(40, i -> 1000 + 10 * Math.sin(i)), rates(40, i -> 800 + 8 * Math.cos(i)));
        ThroughputComparison c = report.throughputs().getFirst();
        assertThat(c.withinNoise()).isFalse();
        assertThat(c.ratio()).isCloseTo(0.8, within(0.01));
        assertThat(c.describe()).contains("throughput x0.80 vs base").endsWith("slower beyond the noise");
    }

    @Test
    void aRunWithFarNoisierStepsIsFlaggedAsMeasuredUnderDifferentLoad() throws Exception {
        // the quiet base varies by about 1%; the other run's steps by about 25%, as on a machine shared with a CI job
        Report report = study(rates(40, i -> 1000 + 10 * Math.sin(i)), rates(40, i -> 900 * (1 + 0.35 * Math.sin(2.1 * i))));
        ThroughputComparison c = report.throughputs().getFirst();
        assertThat(c.variabilityRatio()).isGreaterThan(ThroughputComparison.LOAD_RATIO);
        assertThat(c.describe()).contains("measured under different load? (step-time variability");
    }

    @Test
    void theSummaryKeepsItsKeysAndAddsTheSpread() throws Exception {
        Report report = study(rates(40, i -> 1000 + 10 * Math.sin(i)), rates(40, i -> 1004 + 10 * Math.cos(i)));
        Map<String, Object> base = report.summary().stream().filter(r -> r.get("name").equals("base")).findFirst().orElseThrow();
        assertThat(base).containsKeys("name", "base", "avg_acc", "delta", "verdict", "final_val_loss", "tokens_per_s", "mfu", "tokens",
                "tasks", "tokens_per_s_spread");
        assertThat((double) base.get("tokens_per_s")).isCloseTo(1000, within(5.0));
        assertThat((double) base.get("tokens_per_s_spread")).isBetween(5.0, 10.0);
        assertThat(report.markdown()).contains("tokens/s (median ± IQR/2)").containsPattern("\\| 1,00\\d ± \\d+ \\|");
    }
}
