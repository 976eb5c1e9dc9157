package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static StepMetrics step(long step, double loss, double seconds, boolean fp16, boolean skipped) {
        return new StepMetrics(step, loss, 1e-3, 0.5, 1024 * step, 16 * step, seconds, new StepMetrics.Scaling(fp16, 1024, skipped),
                List.of(), seconds);
    }

    @Test
    void aLineAveragesItsIntervalAndShowsItsWorstLossSoASpikeBetweenLinesIsNotHidden() {
        List<String> lines = new ArrayList<>();
        Progress progress = new Progress(150, 0, lines::add); // a line every 3 steps
        progress.step(step(1, 5.0, 0.1, false, false), Double.NaN, 10_000, 0.10);
        progress.step(step(2, 7.0, 0.1, false, false), Double.NaN, 10_000, 0.10);
        assertThat(lines).isEmpty();
        progress.step(step(3, 3.0, 0.8, false, false), Double.NaN, 1_250, 0.0125); // a slow step: 1,000 tokens in 0.8 s
        assertThat(lines).hasSize(1);
        // mean loss 5.0, max 7.0; 3,000 tokens in 1.0 s; 333 ms per step
        assertThat(lines.getFirst()).startsWith("step 3/150 | loss 5.0000 (max 7.0000) | lr 1.00e-03 | grad 0.500 | 3,000 tok/s | mfu 3.0% | 333 ms/step");
        progress.step(step(4, 2.0, 0.1, true, true), 1.5, 10_000, 0.1);
        assertThat(lines.get(1)).contains("step 4/150 | loss 2.0000 | val 1.5000").contains("| loss scale 1024, 1 skipped");
    }
}
