package ablate.evaluator.planner;

import ablate.conf.ModelConfig;
import ablate.evaluator.scaling.Allocation;
import ablate.trainer.model.ModelSize;
import java.util.List;

/**
 * The planner's answer.
 *
 * @param modelTflops model FLOP/s per GPU the budget is converted at
 * @param flops the budget in model FLOPs
 * @param kaplan Kaplan et al.'s compute-optimal allocation of the budget (N without embeddings)
 * @param chinchilla Hoffmann et al.'s (N all parameters)
 * @param minTokens the token floor the recommendation respects: the larger of the user's and Kaplan's D
 * @param model the recommended shape
 * @param tokens training tokens the budget buys for that shape
 * @param layouts feasible layouts on the requested GPUs, best first; empty without --gpus
 * @param adopted the study's choices adopted, with why others were not (one line each)
 * @param extrapolations where the budget or a law's (N, D) lies far outside what that law was fitted
 *     on, Kaplan's first; empty when both laws are used within their ranges
 */
public record Plan(PlanRequest request, GpuSpec gpu, double modelTflops, double flops, Allocation kaplan,
                   Allocation chinchilla, double minTokens, ModelConfig model, double tokens, List<Layout> layouts,
                   List<String> adopted, List<Extrapolation> extrapolations) {
    public Plan {
        layouts = List.copyOf(layouts);
        adopted = List.copyOf(adopted);
        extrapolations = List.copyOf(extrapolations);
    }

    public ModelSize size() {
        return new ModelSize(model);
    }

    public double pfDays() {
        return flops / ablate.evaluator.scaling.KaplanLaw.PF_DAY;
    }

    /** Wall-clock days on the requested GPUs with the best layout; NaN without --gpus. */
    public double wallDays() {
        if (layouts.isEmpty()) {
            return Double.NaN;
        }
        return tokens * size().flopsPerToken() / (request.gpus() * modelTflops * 1e12) / 86_400;
    }
}
