package ablate.evaluator.cli;

import ablate.evaluator.run.Evaluation;
import ablate.evaluator.run.HarnessResults;
import ablate.evaluator.run.ResultsFile;
import ablate.evaluator.run.SampleLog;
import ablate.evaluator.run.TaskResult;
import ablate.evaluator.scoring.HarnessEncoding;
import ablate.evaluator.scoring.LanguageModel;
import ablate.evaluator.scoring.LonePass;
import ablate.evaluator.scoring.ModelRunner;
import ablate.evaluator.scoring.TokenScorer;
import ablate.evaluator.tasks.Task;
import ablate.evaluator.tasks.TaskRegistry;
import ablate.trainer.cli.Cli;
import ablate.trainer.cli.Interrupts;
import ablate.conf.ModelConfig;
import ablate.trainer.hf.Pretrained;
import ablate.trainer.model.AvailableMemory;
import ablate.trainer.model.ModelMemory;
import ablate.trainer.run.Torch;
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ablate eval}: zero-shot tasks on a checkpoint, scored as lm-evaluation-harness scores them. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score a model on zero-shot tasks exactly as lm-evaluation-harness does: the harness's prompts "
                + "(2022 versions, as the BigScience study used), its tokenization of context/continuation pairs, its "
                + "metrics and standard errors. Prints the harness's markdown table and writes its JSON results layout.",
                "An encoder-decoder run (model.architecture = encoder-decoder) is scored as the harness's seq2seq models: the "
                        + "context in its encoder, the continuation in its decoder; perplexity tasks (wikitext) are skipped for it with "
                        + "the reason.",
                "Tasks are HOCON files (built-in: conf/tasks; add your own with --task-dir). A task whose data is missing "
                        + "or malformed is reported and skipped; the others run. Exit code 2 when no task could run (then "
                        + "nothing is written).",
                "Results of a run's checkpoint go to RUN_DIR/eval/step-N.json unless --out is given; tasks already in that "
                        + "file (or in --out's, when it holds this model's results) and not scored again are kept; any other existing "
                        + "file is refused before scoring."},
        footerHeading = "%nExamples:%n",
        footer = {"  ablate train --preset debug --run-dir runs/debug   # a model to score",
                "  ablate eval --tasks list --data-dir DATA            # tasks, their files",
                "  ablate eval --checkpoint runs/debug --data-dir DATA \\",
                "      --tasks arc_easy,copa,lambada_openai --limit 200",
                "  ablate eval --hf ~/models/pythia-160m --tasks all \\",
                "      --data-dir DATA --out results.json --log-samples",
                "DATA: the tasks' files (README, \"Zero-shot evaluation\"). The debug model's",
                "window (64 tokens) skips tasks with longer continuations (piqa, hellaswag)."})
public final class EvalCommand implements Callable<Integer> {
    private static final Pattern CHECKPOINT_STEP = Pattern.compile("step-(\\d+)$");

    static final class ModelSource {
        @Option(names = "--checkpoint", paramLabel = "RUN_DIR",
                description = "A run folder (its latest valid checkpoint), a checkpoint folder, or an import-hf output.")
        Path checkpoint;

        @Option(names = "--hf", paramLabel = "DIR",
                description = "A Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json): GPT-2, BLOOM, GPT-NeoX/Pythia or LLaMA.")
        Path hf;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ModelSource model;

    @Option(names = "--tasks", required = true, paramLabel = "LIST",
            description = "Comma-separated task names, or `all`; `list` prints every task (with --task-dir's), its metrics and data sources.")
    String tasks;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the tasks' data files are (paths in the task files are relative to it).")
    Path dataDir;

    @Option(names = "--task-dir", paramLabel = "DIR", description = "Extra task definitions (*.conf) beside the built-in ones.")
    List<Path> taskDirs = List.of();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "At most N documents per task, the harness's way (shuffled with seed 42, then the first N). 0: all.")
    int limit;

    @Option(names = "--num-fewshot", paramLabel = "K", defaultValue = "-1", description = "Few-shot examples per prompt; default: each task's own (0 for the paper's suite).")
    int numFewShot;

    @Option(names = "--batch-tokens", paramLabel = "N", defaultValue = "1024",
            description = "Tokens per forward pass (rows x padded length). Default: ${DEFAULT-VALUE}, best on CPU (see ops/bench/README.md); GPUs want more.")
    int batchTokens;

    @Option(names = "--encoding", paramLabel = "RULE", defaultValue = "harness-2022",
            description = "How a context/continuation pair becomes tokens: harness-2022 (v0.2/v0.3, what the BigScience study used: "
                    + "each encoded separately) or harness-2023 (v0.4's _encode_pair: a trailing context space moves to the continuation, "
                    + "the pair encoded jointly). With the byte tokenizer they differ only where a context ends in whitespace. Default: ${DEFAULT-VALUE}.")
    String encoding;

    @Option(names = "--no-share-contexts", description = "Score every request in its own row instead of computing a shared context once.")
    boolean noShareContexts;

    @Option(names = "--bootstrap-iters", paramLabel = "N", defaultValue = "100000", description = "Resamples for bootstrapped standard errors (perplexity, F1). Default: the harness's ${DEFAULT-VALUE}.")
    int bootstrapIters;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "libtorch threads; 0: all cores.")
    int threads;

    @Option(names = "--device", paramLabel = "cpu|cuda:N", defaultValue = "cpu",
            description = "Where the model runs; cuda:N needs a CUDA libtorch (README, \"Running on NVIDIA GPUs\"). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the results JSON (harness layout) here. Default for a run folder or one of its checkpoints: RUN_DIR/eval/step-N.json (N the checkpoint's step), where `ablate report` finds it.")
    Path out;

    @Option(names = "--log-samples",
            description = "Also write samples_TASK.jsonl per task (in RESULTS.samples/ beside the results file, or in the working directory): every request, response and per-document metric.")
    boolean logSamples;

    @Option(names = "--all-checkpoints",
            description = "Score every checkpoint of the --checkpoint run, oldest first, each into RUN_DIR/eval/step-N.json (report's accuracy-against-tokens curve).")
    boolean allCheckpoints;

    /** What a model may use on a device; tests inject small numbers. */
    Function<Device, AvailableMemory> availableMemory = AvailableMemory::of;

    @Override
    public Integer call() {
        return Cli.guard(this::evaluate);
    }

    private int evaluate() throws Exception {
        if (tasks.strip().equals("list")) {
            return list();
        }
        if (model == null) {
            throw new IllegalArgumentException("give the model: --checkpoint RUN_DIR or --hf DIR");
        }
        if (dataDir == null) {
            throw new IllegalArgumentException("give --data-dir DIR: where the tasks' data files are (`--tasks list` shows what each reads)");
        }
        HarnessEncoding.Rule.of(encoding); // an unknown rule fails before anything loads
        if (threads < 0 || threads > 4096) {
            throw new IllegalArgumentException("--threads must be between 0 (every core) and 4096, got " + threads);
        }
        if (!Files.isDirectory(dataDir)) {
            throw new IllegalArgumentException("--data-dir " + dataDir + " is not a directory");
        }
        List<Path> checkpoints = allCheckpoints ? checkpointsOf(model.checkpoint) : java.util.Collections.singletonList(model.checkpoint);
        List<Task> selected = TaskRegistry.load(taskDirs).resolve(tasks);
        Torch.configureThreads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        Evaluation evaluation = new Evaluation(new Evaluation.Options(limit, numFewShot, bootstrapIters));
        Evaluation.Prepared prepared = evaluation.prepare(selected, dataDir); // once for every checkpoint
        if (prepared.tasks().isEmpty()) { // say why now, before minutes of loading a model that has nothing to do
            throw new IllegalArgumentException("no task could run, nothing written: " + prepared.skipped().stream()
                    .map(skip -> skip.task() + ": " + skip.reason()).collect(java.util.stream.Collectors.joining("; ")));
        }
        if (checkpoints.size() == 1) { // Ctrl-C stops at once: the results file is written whole or not at all
            return evaluate(checkpoints.getFirst(), evaluation, prepared);
        }
        int code = Cli.OK;
        try (Interrupts interrupts = Interrupts.install("finishing the checkpoint being scored and writing its results"
                + " (press Ctrl-C again to stop at once, losing that checkpoint's scores)")) {
            for (int i = 0; i < checkpoints.size(); i++) {
                code = Math.max(code, evaluate(checkpoints.get(i), evaluation, prepared));
                if (interrupts.requested() && i + 1 < checkpoints.size()) {
                    System.out.printf("interrupted after %d of %d checkpoints: %s scored (results in %s); not scored: %s (score one with"
                            + " --checkpoint %s)%n", i + 1, checkpoints.size(), names(checkpoints.subList(0, i + 1)),
                            model.checkpoint.resolve("eval"), names(checkpoints.subList(i + 1, checkpoints.size())),
                            checkpoints.get(i + 1));
                    return Interrupts.EXIT;
                }
            }
        }
        return code;
    }

    /** `--tasks list`: every task, what it reproduces, its metrics and the files it reads (in order), and whether present. */
    private int list() {
        for (Task t : TaskRegistry.load(taskDirs).all()) {
            System.out.printf("%s%s: %s; metrics %s%n", t.name(), t.aliases().isEmpty() && t.harnessNames().isEmpty() ? ""
                    : " (also " + String.join(", ", java.util.stream.Stream.concat(t.aliases().stream(), t.harnessNames().stream()).toList()) + ")",
                    t.harness(), t.metrics().stream().map(Task.Metric::name).toList());
            for (var source : t.sources()) {
                boolean present = dataDir != null && source.presentIn(dataDir);
                System.out.printf("    %s%s%n", source.describe(), dataDir == null ? "" : present ? "  [found]" : "  [missing]");
            }
        }
        return Cli.OK;
    }

    private static String names(List<Path> checkpoints) {
        return checkpoints.stream().map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.joining(", "));
    }

    /** Every checkpoint folder of a run, oldest first; for --all-checkpoints. */
    private List<Path> checkpointsOf(Path runDir) throws java.io.IOException {
        if (runDir == null || out != null) {
            throw new IllegalArgumentException("--all-checkpoints takes --checkpoint RUN_DIR and writes RUN_DIR/eval/step-N.json; drop --hf/--out");
        }
        Path dir = runDir.resolve("checkpoints");
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--all-checkpoints: " + runDir + " is not a run folder (no checkpoints/)");
        }
        try (var listing = Files.list(dir)) {
            List<Path> steps = listing.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isDirectory(p)).sorted().toList();
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("--all-checkpoints: " + dir + " holds no step-N checkpoint");
            }
            return steps;
        }
    }

    /** @param checkpoint the run, checkpoint or import folder to load; null with --hf */
    private int evaluate(Path checkpoint, Evaluation evaluation, Evaluation.Prepared prepared) throws Exception {
        Function<ModelConfig, ModelMemory> need = config -> {
            if (config.architecture() != ablate.conf.Architecture.ENCODER_DECODER) { // its scorer builds no Java mask
                TokenScorer.requireMaskFits(batchTokens, config.seqLen());
            }
            // a request longer than the budget is scored in a pass of its own: the estimate covers the longer of the two
            int alone = LonePass.tokens(prepared.tasks().stream().flatMap(t -> t.requests().stream().flatMap(List::stream)).toList(),
                    config);
            if (alone > batchTokens) {
                return ModelMemory.scoring(config, alone).withAdvice(String.format(java.util.Locale.ROOT, "the longest request of"
                        + " these tasks may take %,d tokens, more than --batch-tokens (%,d), and is scored in a pass of its own; run"
                        + " on a GPU (--device cuda:0), on a machine with more memory, or without the longest tasks", alone, batchTokens));
            }
            return ModelMemory.scoring(config, batchTokens).withAdvice(String.format(java.util.Locale.ROOT,
                    "lower --batch-tokens (now %,d), run on a GPU (--device cuda:0) or on a machine with more memory", batchTokens));
        };
        try (NDManager manager = NDManager.newBaseManager(Torch.device(device));
                Pretrained pretrained = model.hf != null
                        ? Pretrained.loadHf(model.hf, manager, 0, need, availableMemory.apply(manager.getDevice()))
                        : Pretrained.loadRun(checkpoint, manager, need, availableMemory.apply(manager.getDevice()));
                LanguageModel lm = LanguageModel.of(LanguageModel.Spec.of(pretrained),
                        new TokenScorer.Options(batchTokens, !noShareContexts), HarnessEncoding.Rule.of(encoding),
                        new ModelRunner(pretrained.model(), pretrained.tokenizer(), pretrained.decoderStart()))) {
            Path resultsFile = out != null ? out : defaultOut(checkpoint, pretrained);
            // read before scoring, so an unreadable file stops us before the work, not after
            ObjectNode earlier = resultsFile != null ? ResultsFile.earlier(resultsFile, out != null ? pretrained.source() : null) : null;
            System.out.println("model: " + pretrained.source());
            long start = System.nanoTime();
            Evaluation.Outcome outcome = evaluation.run(prepared, lm);
            double seconds = (System.nanoTime() - start) / 1e9;
            for (Evaluation.Skipped s : outcome.skipped()) {
                System.out.printf("skipped %s: %s%n", s.task(), s.reason());
            }
            if (outcome.results().isEmpty()) {
                System.err.println("error: no task could run; nothing written");
                return Cli.BAD_INPUT;
            }
            System.out.print(HarnessResults.markdownTable(outcome.results()));
            for (TaskResult r : outcome.results()) {
                System.out.printf("%s: %d documents from %s%n", r.task(), r.documents(), r.source());
            }
            System.out.printf("%.1f s%n", seconds);
            if (resultsFile != null) {
                ResultsFile.Setup setup = new ResultsFile.Setup(pretrained.source(), numFewShot, batchTokens, device, limit, bootstrapIters,
                        HarnessEncoding.Rule.of(encoding));
                HarnessResults.write(resultsFile, ResultsFile.json(outcome, setup, seconds, earlier)); // earlier tasks of this checkpoint stay
                System.out.println("results: " + resultsFile);
            }
            if (logSamples) {
                Path dir = resultsFile != null
                        ? resultsFile.resolveSibling(resultsFile.getFileName().toString().replaceFirst("\\.json$", "") + ".samples")
                        : Path.of(".");
                SampleLog.write(dir, outcome.samples()).forEach(f -> System.out.println("samples: " + f));
            }
            return Cli.OK;
        }
    }

    /**
     * RUN_DIR/eval/step-N.json when the checkpoint argument is a run folder or one of its
     * checkpoints (RUN_DIR/checkpoints/step-N); none otherwise.
     */
    private static Path defaultOut(Path checkpoint, Pretrained pretrained) {
        if (checkpoint == null) {
            return null;
        }
        Path dir = checkpoint.toAbsolutePath().normalize();
        Path runDir = Files.isDirectory(dir.resolve("checkpoints")) ? dir
                : dir.getParent() != null && dir.getParent().getFileName().toString().equals("checkpoints") ? dir.getParent().getParent() : null;
        Matcher step = CHECKPOINT_STEP.matcher(pretrained.source());
        return runDir != null && step.find() ? ResultsFile.of(runDir, Long.parseLong(step.group(1))) : null;
    }
}
