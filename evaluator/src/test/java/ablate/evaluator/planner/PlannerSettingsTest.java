package ablate.evaluator.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.SettingsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlannerSettingsTest {
    @TempDir
    Path tmp;

    @Test
    void aBadValueFailsNamingTheKeyAndWhereItWasSet() throws Exception {
        Path file = tmp.resolve("mine.conf");
        Files.writeString(file, "# my cluster\ngpus.a100-80gb.memory-gib = -80\n");
        assertThatThrownBy(() -> PlannerSettings.load(file))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("gpus.a100-80gb.memory-gib")
                .hasMessageContaining("mine.conf:2")
                .hasMessageContaining("must be a positive number");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "scaling-laws.chinchilla.fitted-on.tokens|[5e11, 5e9]|needs [min, max] with 0 < min <= max",
        "scaling-laws.kaplan.fitted-on.parameters|[0, 1.5e9]|needs [min, max] with 0 < min <= max",
        "scaling-laws.kaplan.fitted-on.flops|[-1e13, 1.2e21]|needs [min, max] with 0 < min <= max",
        "scaling-laws.chinchilla.fitted-on.flops|[4.8e22]|needs [min, max], two numbers",
        "scaling-laws.chinchilla.fitted-on.parameters|7e7|LIST",
        "scaling-laws.extrapolation-factor|0.5|must be a finite number >= 1"})
    void aFittedRangeThatIsNoRangeFailsNamingTheKey(String key, String value, String problem) throws Exception {
        Path file = tmp.resolve("ranges.conf");
        Files.writeString(file, "# fitted on\n" + key + " = " + value + "\n");
        assertThatThrownBy(() -> PlannerSettings.load(file))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining(key)
                .hasMessageContaining("ranges.conf:2")
                .hasMessageContaining(problem);
    }

    @Test
    void anUnknownKeyFails() throws Exception {
        Path file = tmp.resolve("typo.conf");
        Files.writeString(file, "shape.head-dimm = 64\n");
        assertThatThrownBy(() -> PlannerSettings.load(file)).hasMessageContaining("shape.head-dimm").hasMessageContaining("typo.conf:1");
    }

    @Test
    void aUserGpuJoinsTheCatalog() throws Exception {
        Path file = tmp.resolve("gpu.conf");
        Files.writeString(file, "gpus.b200 { peak-tflops = 2250, memory-gib = 180, nvlink-gbps = 700, inter-node-gbps = 50, per-node = 8 }\n");
        assertThat(PlannerSettings.load(file).gpu("b200").peakTflops()).isEqualTo(2250);
        assertThatThrownBy(() -> PlannerSettings.builtIn().gpu("tpu")).hasMessageContaining("a100-80gb");
    }

    /** A study's slower winner is not adopted (BigScience kept GELU over a 30% slower SwiGLU); a cheap significant one is. */
    @Test
    void aStudysChoicesAreAdoptedOnlyWhenRealAndCheap() {
        List<AxisChoice> choices = List.of(new AxisChoice("activation", "swiglu", "gelu", 0.8, 0.7, true),
                new AxisChoice("position", "rotary", "alibi", 0.5, 0.97, true));
        PlanRequest request = new PlanRequest(1e5, "h100-80gb", 64, new Throughput.Mfu(0.4, "test"), 0, false, choices);
        Plan plan = new Planner(PlannerSettings.builtIn()).plan(request);
        assertThat(plan.model().activation().name()).isEqualTo("GELU");
        assertThat(plan.model().position().name()).isEqualTo("ROTARY");
        assertThat(plan.adopted()).anyMatch(l -> l.contains("70% of gelu's throughput"));
        assertThat(plan.layouts()).isNotEmpty();
        assertThat(plan.tokens()).isGreaterThanOrEqualTo(plan.kaplan().tokens());
    }
}
