package ablate.trainer.run;

import java.time.Duration;
import java.util.function.Consumer;

/** The terminal's progress line: step, loss, throughput, MFU and ETA from recent step times. */
final class Progress {
    private final long total;
    private final Consumer<String> out;
    private final int every;
    private double smoothedSeconds = Double.NaN;

    Progress(long total, long start, Consumer<String> out) {
        this.total = total;
        this.out = out;
        this.every = (int) Math.max(1, (total - start) / 50);
    }

    void step(long step, double loss, double valLoss, double tokensPerSecond, double mfu, double seconds) {
        smoothedSeconds = Double.isNaN(smoothedSeconds) ? seconds : 0.9 * smoothedSeconds + 0.1 * seconds;
        if (step % every != 0 && step != total && Double.isNaN(valLoss)) {
            return;
        }
        Duration eta = Duration.ofSeconds(Math.round(smoothedSeconds * (total - step)));
        String val = Double.isNaN(valLoss) ? "" : String.format(" | val %.4f", valLoss);
        out.accept(String.format("step %d/%d | loss %.4f%s | %,.0f tok/s | mfu %.1f%% | eta %d:%02d:%02d",
                step, total, loss, val, tokensPerSecond, 100 * mfu, eta.toHours(), eta.toMinutesPart(), eta.toSecondsPart()));
    }
}
