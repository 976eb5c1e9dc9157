package ablate.evaluator.cli;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.evaluator.run.Evaluation;
import ablate.evaluator.scoring.EncoderDecoderLanguageModel;
import ablate.evaluator.scoring.EncoderDecoderScorer;
import ablate.evaluator.scoring.GptLanguageModel;
import ablate.evaluator.scoring.HarnessEncoding;
import ablate.evaluator.scoring.LanguageModel.Spec;
import ablate.evaluator.scoring.ModelRunner;
import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.Response;
import ablate.evaluator.scoring.TokenRequest;
import ablate.evaluator.scoring.TokenScorer;
import ablate.evaluator.tasks.Task;
import ablate.evaluator.tasks.TaskRegistry;
import ablate.trainer.cli.BenchCommand;
import ablate.trainer.cli.Cli;
import ablate.trainer.cli.ConfigOptions;
import ablate.trainer.data.ByteTokenizer;
import ablate.trainer.model.AvailableMemory;
import ablate.trainer.model.EncoderDecoder;
import ablate.trainer.model.Gpt;
import ablate.trainer.model.LanguageModel;
import ablate.trainer.model.ModelMemory;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ablate eval-bench}: examples/s of the evaluator's batching against one request per forward pass. */
@Command(name = "eval-bench", mixinStandardHelpOptions = true,
        description = {"Measure zero-shot scoring speed: the loglikelihood requests of --tasks (the first --limit documents "
                + "each, the harness's way) on a randomly initialized model (the config given, by default the small preset with seq-len 1024; a decoder or an encoder-decoder) with the byte tokenizer, scored three "
                + "ways in alternation: one request per forward pass (the baseline), batched to --batch-tokens, and batched "
                + "with shared contexts. Prints one JSON line: examples/s per way (median over rounds) and the ratios to "
                + "the baseline. All three must give the same loglikelihoods; the largest difference is reported."},
        footer = {"%nops/bench/eval-batching runs this with the defaults used in ops/bench/README.md."})
public final class EvalBenchCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--tasks", paramLabel = "LIST", defaultValue = "piqa,hellaswag,arc_easy,copa", description = "Tasks whose requests are scored. Default: ${DEFAULT-VALUE}.")
    String tasks;

    @Option(names = "--data-dir", paramLabel = "DIR", required = true, description = "The tasks' data.")
    Path dataDir;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "64", description = "Documents per task. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--batch-tokens", paramLabel = "N", defaultValue = "1024", description = "Token budget per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchTokens;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3", description = "Rounds over the three ways. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "libtorch threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Override
    public Integer call() {
        return Cli.guard(this::bench);
    }

    private int bench() throws Exception {
        Torch.configureThreads(threads);
        RunConfig run = Settings.load(config.chosen() ? config.sources() : new Settings.Sources("small", List.of(), List.of("model.seq-len=1024")));
        ModelConfig model = run.model();
        // as ablate eval checks before it loads: a batch's mask in one Java array, the model and one pass in this machine
        if (model.architecture() != Architecture.ENCODER_DECODER) { // its scorer builds no Java mask
            TokenScorer.requireMaskFits(batchTokens, model.seqLen());
        }
        ModelMemory.scoring(model, batchTokens).withAdvice(String.format(Locale.ROOT, "lower --batch-tokens (now %,d) or"
                + " bench a smaller model", batchTokens)).requireFits(AvailableMemory.here(true));
        List<Task> selected = TaskRegistry.builtIn().resolve(tasks);
        Evaluation evaluation = new Evaluation(new Evaluation.Options(limit, -1, 0));
        List<Request.LogLikelihood> requests = new ArrayList<>();
        int documents = 0;
        for (Task task : selected) {
            Evaluation.Planned planned = evaluation.plan(task, dataDir);
            documents += planned.docs().size();
            planned.requests().forEach(rs -> rs.forEach(r -> {
                if (r instanceof Request.LogLikelihood l) {
                    requests.add(l);
                }
            }));
        }
        Map<String, TokenScorer.Options> ways = new LinkedHashMap<>();
        ways.put("one_per_forward", new TokenScorer.Options(1, false));
        ways.put("batched", new TokenScorer.Options(batchTokens, false));
        ways.put("batched_shared", new TokenScorer.Options(batchTokens, true));
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        Map<String, double[]> scores = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel lm = LanguageModel.create(m, model, 1, DataType.FLOAT32);
                ByteTokenizer bytes = new ByteTokenizer()) {
            // tokenized as eval tokenizes them, by the harness model of the architecture (the 2022 rule)
            HarnessEncoding.Rule rule = HarnessEncoding.Rule.HARNESS_2022;
            ModelRunner runner = new ModelRunner(lm, bytes);
            List<TokenRequest> tokens = lm instanceof EncoderDecoder
                    ? new EncoderDecoderLanguageModel(new Spec(model, bytes, bytes.eosId()), ways.get("batched"), rule, runner)
                            .tokenize(requests)
                    : new GptLanguageModel(bytes, model.seqLen(), ways.get("batched"), rule, runner).tokenize(requests);
            List<TokenRequest> warmup = tokens.subList(0, Math.min(32, tokens.size()));
            for (TokenScorer.Options way : ways.values()) {
                score(lm, bytes, way, warmup); // untimed: libtorch's first calls and the JIT
            }
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, TokenScorer.Options> way : ways.entrySet()) {
                    long start = System.nanoTime();
                    double[] ll = score(lm, bytes, way.getValue(), tokens).stream().mapToDouble(r -> r.logLikelihood()).toArray();
                    double seconds = (System.nanoTime() - start) / 1e9;
                    rates.computeIfAbsent(way.getKey(), k -> new ArrayList<>()).add(documents / seconds);
                    scores.put(way.getKey(), ll);
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", Map.of("architecture", model.architecture().key(), "layers", model.layers(), "d_model", model.dModel(), "heads", model.heads(), "seq_len", model.seqLen()));
        out.put("threads", threads);
        out.put("tasks", tasks);
        out.put("documents", documents);
        out.put("requests", requests.size());
        out.put("batch_tokens", batchTokens);
        double baseline = median(rates.get("one_per_forward"));
        rates.forEach((way, r) -> {
            out.put(way + "_examples_per_s", median(r));
            out.put(way + "_ratio", median(r) / baseline);
        });
        double worst = 0;
        double[] reference = scores.get("one_per_forward");
        for (double[] s : scores.values()) {
            for (int i = 0; i < s.length; i++) {
                worst = Math.max(worst, Math.abs(s[i] - reference[i]));
            }
        }
        out.put("max_abs_loglikelihood_difference", worst);
        System.out.println(new ObjectMapper().writeValueAsString(out));
        return Cli.OK;
    }

    private static List<Response.LogLikelihood> score(LanguageModel model, ByteTokenizer bytes, TokenScorer.Options way,
            List<TokenRequest> tokens) {
        return switch (model) {
            case Gpt gpt -> new TokenScorer(gpt, way).score(tokens);
            case EncoderDecoder ed -> new EncoderDecoderScorer(ed, bytes.eosId(), bytes.eosId(), way).score(tokens);
        };
    }

    private static double median(List<Double> values) {
        return BenchCommand.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
