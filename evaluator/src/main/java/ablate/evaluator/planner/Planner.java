package ablate.evaluator.planner;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.evaluator.scaling.Allocation;
import ablate.trainer.model.ModelSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * From a GPU budget to the model to train, as BigScience planned BLOOM (Le Scao et al. 2022,
 * section 5): the budget in FLOPs; Kaplan's and Chinchilla's compute-optimal (N, D); Kaplan's N as
 * an upper bound on size and his D (or the user's floor, if higher) as a lower bound on tokens;
 * among shapes on Levine et al.'s depth-to-width curve that respect those bounds and train on the
 * GPUs in some layout, one near the largest size but as shallow as possible; its best layout and
 * the wall time. Where the budget or a law's (N, D) lies far outside what that law was fitted on,
 * the plan says so ({@link Extrapolation}).
 *
 * <p>Recomputation changes how many FLOPs the GPUs execute per model FLOP, so with a throughput
 * stated in Megatron's hardware TFLOP/s the plan is repeated until the layout's recomputation
 * agrees with the one the budget was converted at.
 */
public final class Planner {
    /** The laws as plans name them. */
    public static final String KAPLAN = "Kaplan et al. 2020";
    public static final String HOFFMANN = "Hoffmann et al. 2022";

    private final PlannerSettings settings;

    public Planner(PlannerSettings settings) {
        this.settings = settings;
    }

    public Plan plan(PlanRequest request) {
        GpuSpec gpu = settings.gpu(request.gpu());
        List<String> adopted = new ArrayList<>();
        Arch arch = architecture(request.choices(), adopted);
        double factor = 1.0;
        Plan plan = null;
        for (int round = 0; round < 3; round++) {
            plan = plan(request, gpu, arch, factor, adopted);
            double used = plan.layouts().isEmpty() ? factor : plan.layouts().getFirst().hardwareFlopsFactor();
            if (used == factor) {
                break;
            }
            factor = used;
        }
        return plan;
    }

    private Plan plan(PlanRequest request, GpuSpec gpu, Arch arch, double factor, List<String> adopted) {
        double modelTflops = request.throughput().modelTflops(gpu, factor) * arch.throughputRatio();
        double flops = request.gpuHours() * 3600 * modelTflops * 1e12;
        Allocation kaplan = settings.kaplan().optimum(flops);
        Allocation chinchilla = settings.chinchilla().optimum(flops);
        double minTokens = Math.max(request.minTokens(), kaplan.tokens());
        List<Extrapolation> far = extrapolations(flops, kaplan, chinchilla);
        Candidate best = shape(request, gpu, arch, flops, kaplan.parameters(), minTokens, modelTflops * factor)
                .orElseThrow(() -> noShape(request, flops, minTokens, far));
        ModelSize size = new ModelSize(best.model());
        double tokens = flops / size.flopsPerToken();
        return new Plan(request, gpu, modelTflops, flops, kaplan, chinchilla, minTokens, best.model(), tokens,
                best.layouts(), adopted, far);
    }

    /** Where the budget or either law's (N, D) lies more than the configured factor outside that law's fit. */
    private List<Extrapolation> extrapolations(double flops, Allocation kaplan, Allocation chinchilla) {
        PlannerSettings.FittedRanges fitted = settings.fitted();
        List<Extrapolation> far = new ArrayList<>(Extrapolation.of(KAPLAN, fitted.kaplan(),
                Extrapolation.Quantity.NON_EMBEDDING, flops, kaplan, fitted.farFactor()));
        far.addAll(Extrapolation.of(HOFFMANN, fitted.chinchilla(), Extrapolation.Quantity.PARAMETERS, flops, chinchilla,
                fitted.farFactor()));
        return far;
    }

    /** The refusal when no shape fits; it names the extrapolations too, since a tiny budget is often both. */
    private static IllegalArgumentException noShape(PlanRequest request, double flops, double minTokens, List<Extrapolation> far) {
        String gpus = request.gpus() > 0 ? " on " + request.gpus() + " GPUs" : "";
        String message = String.format(Locale.ROOT, "no shape on Levine's depth-to-width curve trains %.3g tokens within %.3g FLOPs%s; "
                + "lower --min-tokens, raise --gpu-hours%s", minTokens, flops, gpus, gpus.isEmpty() ? "" : " or change --gpus");
        if (!far.isEmpty()) {
            message += ". The budget is also far outside what the scaling laws were fitted on: "
                    + String.join("; ", far.stream().map(Extrapolation::describe).toList());
        }
        return new IllegalArgumentException(message);
    }

    private record Candidate(ModelConfig model, double parameters, List<Layout> layouts) {}

    private record Arch(Position position, Activation activation, boolean embeddingNorm, double throughputRatio) {}

    /** Empty when no shape on Levine's curve respects the bounds and (with --gpus) fits a layout. */
    private Optional<Candidate> shape(PlanRequest request, GpuSpec gpu, Arch arch, double flops, double maxNonEmbedding,
                                      double minTokens, double hardwareTflops) {
        PlannerSettings.ShapeRules rules = settings.shape();
        LayoutSearch layouts = new LayoutSearch(settings, gpu);
        List<Candidate> feasible = new ArrayList<>();
        for (int heads = 1; heads <= 1024; heads = heads < rules.headsMultipleOf() ? heads + 1 : heads + rules.headsMultipleOf()) {
            int hidden = heads * rules.headDim();
            for (int layers = 1; layers <= 400; layers++) {
                ModelConfig model = model(arch, layers, hidden, heads);
                ModelSize size = new ModelSize(model);
                if (size.nonEmbedding() > maxNonEmbedding || flops / size.flopsPerToken() < minTokens) {
                    break;
                }
                double best = levineDepth(size.nonEmbedding());
                if (Math.abs(layers - best) > rules.depthTolerance() * best) {
                    continue;
                }
                List<Layout> found = List.of();
                if (request.gpus() > 0) {
                    int batch = globalBatch(size.nonEmbedding());
                    found = layouts.feasible(model, request.gpus(), batch, request.zero1(), hardwareTflops);
                    if (found.isEmpty()) {
                        continue;
                    }
                }
                feasible.add(new Candidate(model, size.total(), found));
            }
        }
        if (feasible.isEmpty()) {
            return Optional.empty();
        }
        double largest = feasible.stream().mapToDouble(Candidate::parameters).max().orElseThrow();
        return feasible.stream()
                .filter(c -> c.parameters() >= (1 - rules.sizeSlack()) * largest)
                .min((a, b) -> a.model().layers() != b.model().layers()
                        ? Integer.compare(a.model().layers(), b.model().layers())
                        : Double.compare(b.parameters(), a.parameters()));
    }

    /** Levine et al.'s best depth for a non-embedding size: solves 12 L w(L)^2 = N, w(L) = exp(c + s L). */
    public double levineDepth(double nonEmbedding) {
        PlannerSettings.ShapeRules r = settings.shape();
        double lo = 0.1;
        double hi = 1000;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            double width = Math.exp(r.levineIntercept() + r.levineSlope() * mid);
            if (12 * mid * width * width < nonEmbedding) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** GPT-3's batch for the size, rounded up to a power of two of sequences. */
    public int globalBatch(double nonEmbedding) {
        double sequences = settings.batchTokens(nonEmbedding) / settings.shape().seqLen();
        int batch = 1;
        while (batch < sequences) {
            batch *= 2;
        }
        return batch;
    }

    private ModelConfig model(Arch arch, int layers, int hidden, int heads) {
        PlannerSettings.ShapeRules r = settings.shape();
        return new ModelConfig(layers, hidden, heads, r.seqLen(), r.vocabSize(), 1, 0, arch.position(),
                arch.activation(), 64, arch.embeddingNorm(), AttentionMask.CAUSAL, 1.0, 10_000, 1e-5, 0.02, 0);
    }

    private Arch architecture(List<AxisChoice> choices, List<String> notes) {
        PlannerSettings.Architecture defaults = settings.architecture();
        Position position = defaults.position();
        Activation activation = defaults.activation();
        boolean norm = defaults.embeddingLayerNorm();
        double ratio = 1;
        for (AxisChoice c : choices) {
            String why;
            if (!c.significant()) {
                why = "kept the default: the difference to " + c.base() + " is within the noise";
            } else if (c.throughputRatio() < defaults.minThroughputRatio()) {
                why = String.format(Locale.ROOT, "kept the default: %s runs at %.0f%% of %s's throughput",
                        c.value(), 100 * c.throughputRatio(), c.base());
            } else {
                why = "adopted";
                switch (c.axis()) {
                    case "position" -> position = Position.valueOf(c.value().toUpperCase(Locale.ROOT));
                    case "activation" -> activation = Activation.valueOf(c.value().toUpperCase(Locale.ROOT));
                    case "embedding-layernorm" -> norm = c.value().equals("on") || c.value().equals("true");
                    default -> why = "not a model axis the planner sizes; noted only";
                }
                if (why.equals("adopted")) {
                    ratio *= c.throughputRatio();
                }
            }
            notes.add(String.format(Locale.ROOT, "%s: %s (%+.2f points vs %s, throughput x%.2f): %s",
                    c.axis(), c.value(), c.accuracyDelta(), c.base(), c.throughputRatio(), why));
        }
        return new Arch(position, activation, norm, ratio);
    }
}
