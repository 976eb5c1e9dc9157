package ablate.trainer.cli;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.model.ModelSize;
import ablate.trainer.peak.Peak;
import ablate.trainer.peak.PeakCache;
import ablate.trainer.run.StepMetrics;
import ablate.trainer.run.Torch;
import ablate.trainer.run.LoopPolicy;
import ablate.trainer.run.Trainer;
import ablate.trainer.run.TrainingData;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ablate bench}: training throughput of a config, as one JSON line. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure training throughput of a config: build the model and optimizer exactly as `ablate train` "
                + "would, run --warmup untimed optimizer steps, then --steps timed ones, and print one JSON line.",
                "Nothing is written: no run folder, no checkpoints. Each timed step is a full optimizer step (every "
                        + "micro-batch's forward and backward, gradient clipping, AdamW) on train.global-batch-size "
                        + "sequences (of model.seq-len tokens for a decoder; see below for an encoder-decoder), with "
                        + "train.threads libtorch threads.",
                "Without --preset or --config the reference defaults apply (a 2-layer, d-model 64 model). The built-in "
                        + "corpus is generated before timing starts.",
                "Output keys: impl, threads, tokens_per_s (median over the timed steps of tokens / step time), "
                        + "step_ms_median, step_ms (every timed step), params, tokens_per_sequence, encoder_tokens and "
                        + "decoder_tokens (of one sequence), flops_per_token, flops_per_sequence, loss_first (first step, "
                        + "warmup included), loss_last, and mfu (a fraction, as in metrics.jsonl: tokens_per_s x "
                        + "flops_per_token / peak), peak_tflops and peak_source (train.peak-tflops, the peak `ablate "
                        + "calibrate` measured, or the built-in estimate). The MFU is also printed as a percentage on stderr.",
                "Tokens are counted as `ablate inspect` counts them: seq-len per sequence for a decoder; S + T for an "
                        + "encoder-decoder (S encoder and T decoder tokens of T5's span corruption, 512 + 114 for seq-len "
                        + "512), so that its tokens/s compares with the decoder of equal compute at seq-len S + T. "
                        + "`ablate train`'s metrics count seq-len (S) per sequence for an encoder-decoder; the MFU is the "
                        + "same either way (sequences/s x FLOPs per sequence / peak)."},
        footerHeading = "%nExamples:%n",
        footer = {"  ablate bench --preset tiny --set train.threads=2",
                "  ablate bench --preset tiny --set model.activation=swiglu --warmup 5 --steps 30",
                "  ablate bench --preset tiny --set model.architecture=encoder-decoder",
                "",
                "ops/bench/train-step runs this against a PyTorch eager peer of the same model for every ablation "
                        + "variant, alternating the two on the same machine."})
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3",
            description = "Untimed steps first (allocator and kernel warmup). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "10",
            description = "Timed steps; the median is reported. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Override
    public Integer call() {
        return Cli.guard(this::bench);
    }

    private int bench() throws Exception {
        if (warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1, got " + warmup + " and " + steps);
        }
        RunConfig run = Settings.load(config.sources());
        Torch.device(run.train().device()); // fails before anything is read or written when the device is not there
        try (TrainingData data = TrainingData.open(run.data(), run.train().seed(), Path.of(""))) {
            LoopPolicy.checkVocabulary(run, data);
            try (Trainer trainer = new Trainer(run, data)) {
                Peak peak = Peak.resolve(run.train(), PeakCache.standard());
                Map<String, Object> measured = measure(trainer, run, peak);
                System.out.println(new ObjectMapper().writeValueAsString(measured));
                System.err.printf(java.util.Locale.ROOT, "mfu %.1f%% against %s%n", 100 * (double) measured.get("mfu"), peak.describe());
            }
        }
        return Cli.OK;
    }

    private Map<String, Object> measure(Trainer trainer, RunConfig run, Peak peak) {
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < warmup; i++) {
            losses.add(trainer.step().loss());
        }
        double[] stepMs = new double[steps];
        for (int i = 0; i < steps; i++) {
            StepMetrics m = trainer.step();
            stepMs[i] = m.seconds() * 1e3;
            losses.add(m.loss());
        }
        ModelSize size = new ModelSize(run.model());
        // S + T per sequence for an encoder-decoder, seq-len for a decoder (see the description): its tokens/s
        // then compares with the decoder of equal compute, and flops_per_token x tokens is the step's FLOPs either way
        long tokensPerStep = (long) run.train().globalBatchSize() * size.tokensPerSequence();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("impl", "ablate");
        out.put("threads", run.train().effectiveThreads());
        double tokensPerSecond = median(Arrays.stream(stepMs).map(ms -> tokensPerStep / (ms / 1e3)).toArray());
        out.put("tokens_per_s", tokensPerSecond);
        out.put("step_ms_median", median(stepMs));
        out.put("step_ms", Arrays.stream(stepMs).map(ms -> Math.round(ms * 1e3) / 1e3).boxed().toList());
        out.put("params", trainer.model().parameters().count());
        out.put("tokens_per_sequence", size.tokensPerSequence());
        out.put("encoder_tokens", size.encoderLength());
        out.put("decoder_tokens", size.decoderLength());
        // the training FLOPs MFU counts (6N plus attention), for ops/bench/train-step's MFU of both sides
        out.put("flops_per_token", size.flopsPerToken());
        out.put("flops_per_sequence", size.flopsPerSequence());
        out.put("loss_first", losses.getFirst());
        out.put("loss_last", losses.getLast());
        out.put("mfu", tokensPerSecond * size.flopsPerToken() / peak.flopsPerSecond());
        out.put("peak_tflops", peak.flopsPerSecond() / 1e12);
        out.put("peak_source", peak.source());
        return out;
    }

    /** The median; the mean of the middle two for an even count. */
    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
