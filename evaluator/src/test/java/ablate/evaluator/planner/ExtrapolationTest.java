package ablate.evaluator.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import ablate.evaluator.planner.Extrapolation.Quantity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plan says when its budget, or a law's (N, D) for it, lies far outside what that law was fitted on (planner.conf fitted-on). */
class ExtrapolationTest {
    @TempDir
    Path tmp;

    /** Hours of an A100 at planner.conf's default 36% MFU (1M hours, BigScience's budget, is 4.04e23 FLOPs). */
    private static PlanRequest a100Hours(double hours) {
        return new PlanRequest(hours, "a100-80gb", 0, new Throughput.Mfu(0.36, "test"), 0, false, List.of());
    }

    @Test
    void aBudgetInsideBothFitsCarriesNoWarning() {
        // 100 GPU-hours = 4.0e19 FLOPs: Kaplan's 485M non-embedding on 13.9B tokens, Hoffmann's 428M on 15.7B, all inside
        Plan plan = new Planner(PlannerSettings.builtIn()).plan(a100Hours(100));
        assertThat(plan.extrapolations()).isEmpty();
        assertThat(PlanText.render(plan)).doesNotContain("Warning").doesNotContain("fitted on");
    }

    @Test
    void oneMillionA100HoursWarnsWhichQuantityIsHowFarBeyondEachFit() {
        Plan plan = new Planner(PlannerSettings.builtIn()).plan(a100Hours(1e6));
        assertThat(plan.flops()).isCloseTo(4.04e23, within(0.01e23));
        assertThat(plan.extrapolations()).extracting(Extrapolation::law, Extrapolation::quantity).containsExactly(
                tuple(Planner.KAPLAN, Quantity.BUDGET),
                tuple(Planner.KAPLAN, Quantity.NON_EMBEDDING),
                tuple(Planner.KAPLAN, Quantity.TOKENS),
                tuple(Planner.HOFFMANN, Quantity.BUDGET),
                // Hoffmann's N, 27.4B, is 1.7x above the 16B it saw: outside, but within the default factor of 2
                tuple(Planner.HOFFMANN, Quantity.TOKENS));
        assertThat(plan.extrapolations()).allMatch(Extrapolation::above);
        Extrapolation chinchillaBudget = plan.extrapolations().get(3);
        assertThat(chinchillaBudget.factor()).isCloseTo(4.04e23 / 4.8e22, within(0.05));
        assertThat(PlanText.render(plan))
                .contains("Warning: extrapolating far outside the ranges the scaling laws were fitted on")
                .contains("less certain")
                .contains("Kaplan et al. 2020: budget = 4.0e+23 is 337x above the 1.2e+13 to 1.2e+21 FLOPs it was fitted on")
                .contains("Kaplan et al. 2020: N = 403.5B is 269x above the 768 to 1.5B non-embedding parameters it was fitted on")
                .contains("Hoffmann et al. 2022: budget = 4.0e+23 is 8.4x above the 2.1e+18 to 4.8e+22 FLOPs it was fitted on")
                .contains("Hoffmann et al. 2022: D = 2.46T is 4.9x above the 5.0B to 500.0B tokens it was fitted on");
    }

    @Test
    void theFarFactorIsASetting() throws Exception {
        Path file = tmp.resolve("far.conf");
        Files.writeString(file, "scaling-laws.extrapolation-factor = 10\n");
        Plan plan = new Planner(PlannerSettings.load(file)).plan(a100Hours(1e6));
        // only Kaplan's budget (337x) and N (269x) are more than 10x outside now
        assertThat(plan.extrapolations()).extracting(Extrapolation::law).containsOnly(Planner.KAPLAN).hasSize(2);
    }

    @Test
    void aBudgetFarBelowAFitIsFlaggedBelow() throws Exception {
        // A law fitted from 1e20 FLOPs up, asked about 10 GPU-hours (4.0e18)
        Path file = tmp.resolve("high.conf");
        Files.writeString(file, "scaling-laws.chinchilla.fitted-on.flops = [1e20, 4.8e22]\n");
        Plan plan = new Planner(PlannerSettings.load(file)).plan(a100Hours(10));
        assertThat(plan.extrapolations()).singleElement().satisfies(e -> {
            assertThat(e.law()).isEqualTo(Planner.HOFFMANN);
            assertThat(e.above()).isFalse();
            assertThat(e.factor()).isCloseTo(1e20 / 4.04e18, within(0.5));
        });
        assertThat(PlanText.render(plan)).contains("Hoffmann et al. 2022: budget = 4.0e+18 is 25x below the 1.0e+20 to 4.8e+22 FLOPs");
    }

    @Test
    void aTinyBudgetIsRefusedSayingHowFarBelowTheFitsItIs() {
        // 1 GPU-hour (4.0e17 FLOPs) buys no shape on Levine's curve with BLOOM's vocabulary; the refusal says it is also
        // far below what Chinchilla's fit saw
        assertThatThrownBy(() -> new Planner(PlannerSettings.builtIn()).plan(a100Hours(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("raise --gpu-hours")
                .hasMessageContaining("Hoffmann et al. 2022: budget = 4.0e+17 is 5.2x below the 2.1e+18 to 4.8e+22 FLOPs it was fitted on");
    }
}
