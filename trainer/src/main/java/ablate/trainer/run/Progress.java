package ablate.trainer.run;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The terminal's progress line, about 50 a run (and at every validation): figures averaged over
 * the steps since the previous line, not one step's, so that a spike between two lines still
 * shows (the interval's largest loss) and a slow step does not masquerade as the throughput:
 * step, mean and max loss, validation loss when measured, learning rate, gradient norm, tokens/s,
 * MFU, ms per step, elapsed time and ETA; in fp16 the loss scale and the steps skipped.
 */
final class Progress {
    private final long total;
    private final Consumer<String> out;
    private final int every;
    private final long started = System.nanoTime();
    private double smoothedSeconds = Double.NaN;
    private int steps;
    private double lossSum;
    private double lossMax = Double.NEGATIVE_INFINITY;
    private double tokensPerSecondSum;
    private double mfuSum;
    private double secondsSum;
    private int skipped;

    Progress(long total, long start, Consumer<String> out) {
        this.total = total;
        this.out = out;
        this.every = (int) Math.max(1, (total - start) / 50);
    }

    void step(StepMetrics m, double valLoss, double tokensPerSecond, double mfu) {
        smoothedSeconds = Double.isNaN(smoothedSeconds) ? m.seconds() : 0.9 * smoothedSeconds + 0.1 * m.seconds();
        steps++;
        lossSum += m.loss();
        lossMax = Math.max(lossMax, m.loss());
        tokensPerSecondSum += tokensPerSecond * m.seconds(); // tokens: the interval's rate is its tokens over its time
        mfuSum += mfu * m.seconds();
        secondsSum += m.seconds();
        skipped += m.scaling().skipped() ? 1 : 0;
        long step = m.step();
        if (step % every != 0 && step != total && Double.isNaN(valLoss)) {
            return;
        }
        Duration eta = Duration.ofSeconds(Math.round(smoothedSeconds * (total - step)));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "step %d/%d | loss %.4f", step, total, lossSum / steps));
        if (steps > 1) {
            line.append(String.format(Locale.ROOT, " (max %.4f)", lossMax));
        }
        if (!Double.isNaN(valLoss)) {
            line.append(String.format(Locale.ROOT, " | val %.4f", valLoss));
        }
        line.append(String.format(Locale.ROOT, " | lr %.2e | grad %.3f | %,.0f tok/s | mfu %.1f%% | %.0f ms/step | %s elapsed | eta %s",
                m.lr(), m.gradNorm(), tokensPerSecondSum / secondsSum, 100 * mfuSum / secondsSum, 1000 * secondsSum / steps, clock(elapsed),
                clock(eta)));
        if (m.scaling().enabled()) {
            line.append(String.format(Locale.ROOT, " | loss scale %.0f, %d skipped", m.scaling().scale(), skipped));
        }
        out.accept(line.toString());
        steps = 0;
        lossSum = 0;
        lossMax = Double.NEGATIVE_INFINITY;
        tokensPerSecondSum = 0;
        mfuSum = 0;
        secondsSum = 0;
        skipped = 0;
    }

    private static String clock(Duration d) {
        return String.format(Locale.ROOT, "%d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
}
