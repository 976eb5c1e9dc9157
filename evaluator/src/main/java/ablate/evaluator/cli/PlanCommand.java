package ablate.evaluator.cli;

import ablate.evaluator.planner.AxisChoice;
import ablate.evaluator.planner.Plan;
import ablate.evaluator.planner.PlanRequest;
import ablate.evaluator.planner.PlanText;
import ablate.evaluator.planner.Planner;
import ablate.evaluator.planner.PlannerSettings;
import ablate.evaluator.planner.Throughput;
import ablate.evaluator.planner.StudyFindings;
import ablate.evaluator.report.Study;
import ablate.trainer.cli.Cli;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ablate plan}: from a GPU budget to the model, tokens, layout and wall time. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Plan a training run for a GPU budget as BigScience planned BLOOM: budget in FLOPs and PF-days, "
                + "Kaplan's and Chinchilla's compute-optimal (N, D), a model no larger than Kaplan's N trained on at least "
                + "Kaplan's D (or --min-tokens), its shape on Levine et al.'s depth-to-width curve, a Megatron layout "
                + "(TP x PP x DP, micro-batch) that fits in memory, and the wall time.",
                "Settings (GPU catalog, scaling-law coefficients, rules): planner.conf in the conf module; override with --settings."})
public final class PlanCommand implements Callable<Integer> {
    @Option(names = "--gpu-hours", paramLabel = "H", required = true, description = "The budget in GPU-hours (1e6 for BLOOM's).")
    double gpuHours;

    @Option(names = "--gpu", paramLabel = "NAME", required = true, description = "GPU type from the catalog: a100-40gb, a100-80gb, h100-80gb, h200-141gb, v100-32gb, l40s-48gb.")
    String gpu;

    @Option(names = "--gpus", paramLabel = "N", description = "GPUs to train on, for the layout and wall time. Default: none (no layout).")
    Integer gpus;

    static final class Rate {
        @Option(names = "--tflops-per-gpu", paramLabel = "T", description = "Achieved TFLOP/s per GPU as Megatron-DeepSpeed logs it (recomputation counted). Default: from --mfu.")
        Double tflops;

        @Option(names = "--mfu", paramLabel = "F", description = "Model FLOPs utilization as a fraction (0.36 = 36%%), model FLOP/s over the GPU's peak. Default: the study base's MFU on a GPU with --study, else planner.conf's throughput.default-mfu (the plan prints the value used).")
        Double mfu;
    }

    @ArgGroup(exclusive = true)
    Rate rate;

    @Option(names = "--min-tokens", paramLabel = "D", defaultValue = "0", description = "Train on at least this many tokens (e.g. 350e9). Default: ${DEFAULT-VALUE} (Kaplan's D only).")
    double minTokens;

    @Option(names = "--zero", paramLabel = "0|1", defaultValue = "0", description = "ZeRO stage: 0 or 1 (1 shards optimizer state over data-parallel ranks). Default: ${DEFAULT-VALUE}.")
    int zero;

    @Option(names = "--study", paramLabel = "DIR", description = "A study folder: carries its winning choice per axis (and, for GPU runs, its MFU).")
    Path study;

    @Option(names = "--settings", paramLabel = "FILE", description = "A HOCON file overriding planner.conf keys.")
    Path settingsFile;

    @Override
    public Integer call() {
        return Cli.guard(() -> {
            if (zero != 0 && zero != 1) {
                throw new IllegalArgumentException("--zero must be 0 or 1, got " + zero);
            }
            PlannerSettings settings = settingsFile == null ? PlannerSettings.builtIn() : PlannerSettings.load(settingsFile);
            List<AxisChoice> choices = List.of();
            Throughput throughput = new Throughput.Mfu(settings.defaultMfu(), "planner.conf throughput.default-mfu");
            if (study != null) {
                StudyFindings findings = StudyFindings.of(Study.load(List.of(study)), study.toString(), throughput);
                choices = findings.choices();
                throughput = findings.throughput();
                if (!findings.note().isEmpty()) {
                    System.out.println(findings.note());
                }
            }
            if (gpus != null && gpus < 1) {
                throw new IllegalArgumentException("--gpus must be at least 1, got " + gpus + " (leave it out for no layout)");
            }
            if (rate != null && rate.tflops != null) {
                double peak = settings.gpu(gpu).peakTflops();
                if (!(rate.tflops > 0) || !Double.isFinite(rate.tflops) || rate.tflops > peak * 1.5) {
                    // Megatron's count includes recomputation (up to 4/3 of the model's FLOPs), so a rate a little above
                    // the peak can be real; half again above it cannot
                    throw new IllegalArgumentException("--tflops-per-gpu must be positive and at most 1.5 x the " + gpu + "'s peak of "
                            + peak + " TFLOP/s (Megatron counts recomputation), got " + rate.tflops);
                }
                throughput = new Throughput.Tflops(rate.tflops);
            } else if (rate != null && rate.mfu != null) {
                throughput = new Throughput.Mfu(rate.mfu, "--mfu");
            }
            PlanRequest request = new PlanRequest(gpuHours, gpu, gpus == null ? 0 : gpus, throughput, minTokens, zero == 1, choices);
            Plan plan = new Planner(settings).plan(request);
            System.out.print(PlanText.render(plan));
            return Cli.OK;
        });
    }
}
