package ablate.evaluator.planner;

import ablate.conf.ModelConfig;
import ablate.trainer.model.ModelSize;
import java.util.Locale;

/** The plan as the text `ablate plan` prints. */
public final class PlanText {
    private PlanText() {}

    public static String render(Plan plan) {
        PlanRequest r = plan.request();
        ModelConfig m = plan.model();
        ModelSize size = plan.size();
        StringBuilder out = new StringBuilder();
        line(out, "Budget");
        line(out, "  %,.0f GPU-hours of %s at %.1f model TFLOP/s per GPU (%s)", r.gpuHours(), plan.gpu().name(),
                plan.modelTflops(), throughput(plan));
        line(out, "  = %.3g FLOPs = %,.0f PF-days", plan.flops(), plan.pfDays());
        line(out, "Compute-optimal (N, D)");
        line(out, "  Kaplan et al. 2020:     N = %s (non-embedding), D = %s tokens", big(plan.kaplan().parameters()),
                big(plan.kaplan().tokens()));
        line(out, "  Hoffmann et al. 2022:   N = %s, D = %s tokens (%.0f tokens per parameter)", big(plan.chinchilla().parameters()),
                big(plan.chinchilla().tokens()), plan.chinchilla().tokens() / plan.chinchilla().parameters());
        if (!plan.extrapolations().isEmpty()) {
            line(out, "Warning: extrapolating far outside the ranges the scaling laws were fitted on, so their (N, D),");
            line(out, "  and the model recommended from them, are less certain (ranges: planner.conf scaling-laws.*.fitted-on):");
            for (Extrapolation e : plan.extrapolations()) {
                line(out, "  %s", e.describe());
            }
        }
        line(out, "Recommended model (Kaplan's N as the upper bound on size, at least %s tokens)", big(plan.minTokens()));
        line(out, "  parameters   %,d (%s; non-embedding %s)", size.total(), big(size.total()), big(size.nonEmbedding()));
        line(out, "  tokens       %s (%.1f per parameter)", big(plan.tokens()), plan.tokens() / size.total());
        line(out, "  layers %d, hidden %d, heads %d (head size %d), FFN %d, seq-len %d, vocab %d", m.layers(), m.dModel(),
                m.heads(), m.headDim(), m.mlpHidden(), m.seqLen(), m.paddedVocab());
        line(out, "  position %s, activation %s, embedding LayerNorm %s", lower(m.position()), lower(m.activation()),
                m.embeddingLayerNorm() ? "on" : "off");
        line(out, "  training FLOPs per token %.4g (Kaplan's 6N: %.4g)", size.flopsPerToken(), size.kaplanFlopsPerToken());
        for (String note : plan.adopted()) {
            line(out, "  study: %s", note);
        }
        if (plan.layouts().isEmpty()) {
            line(out, "Layout: give --gpus N for a parallel layout and the wall time");
            return out.toString();
        }
        Layout best = plan.layouts().getFirst();
        line(out, "Layout on %d x %s", r.gpus(), plan.gpu().name());
        line(out, "  %s, micro-batch %d, global batch %d sequences (%s tokens), %d micro-batches per step",
                best.describe(), best.microBatch(), best.globalBatch(), big((double) best.globalBatch() * m.seqLen()),
                best.microBatchesPerStep());
        line(out, "  memory per GPU %.1f GiB of %.0f GiB (%s activation recomputation%s)", best.memoryBytes() / (1L << 30),
                plan.gpu().memoryGib(), best.recompute() ? "full" : "no", best.zero1() ? ", ZeRO-1" : "");
        line(out, "  estimated overhead %.1f%%: pipeline bubble %.1f%%, tensor-parallel all-reduce %.1f%%, gradient all-reduce %.1f%%",
                100 * best.overhead(), 100 * best.bubble(), 100 * best.tensorComm(), 100 * best.dataComm());
        int shown = 0;
        for (Layout alt : plan.layouts().subList(1, plan.layouts().size())) {
            if (shown++ == 3) {
                break;
            }
            line(out, "  next: %s mb %d, %.1f GiB, overhead %.1f%%", alt.describe(), alt.microBatch(),
                    alt.memoryBytes() / (1L << 30), 100 * alt.overhead());
        }
        double days = plan.wallDays();
        line(out, "Wall time");
        line(out, "  %.0f days = %.1f months = %.1f weeks on %d GPUs (%,.0f GPU-hours)", days, days / 30.44, days / 7,
                r.gpus(), days * 24 * r.gpus());
        return out.toString();
    }

    private static String throughput(Plan plan) {
        return switch (plan.request().throughput()) {
            case Throughput.Tflops t -> String.format(Locale.ROOT, "%.0f TFLOP/s as Megatron counts it, %s recomputation",
                    t.hardware(), !plan.layouts().isEmpty() && plan.layouts().getFirst().recompute() ? "with" : "without");
            case Throughput.Mfu u -> String.format(Locale.ROOT, "MFU %.1f%% of %.0f TFLOP/s peak, %s", 100 * u.mfu(),
                    plan.gpu().peakTflops(), u.source());
        };
    }

    /** 176.2B, 350B, 1.3M ... */
    public static String big(double v) {
        double a = Math.abs(v);
        if (a >= 1e12) {
            return String.format(Locale.ROOT, "%.2fT", v / 1e12);
        }
        if (a >= 1e9) {
            return String.format(Locale.ROOT, "%.1fB", v / 1e9);
        }
        if (a >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
