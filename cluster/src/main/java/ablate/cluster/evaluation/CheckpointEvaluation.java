package ablate.cluster.evaluation;

import ablate.conf.EvalConfig;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.evaluator.run.Evaluation;
import ablate.evaluator.run.HarnessResults;
import ablate.evaluator.run.ResultsFile;
import ablate.evaluator.run.TaskResult;
import ablate.evaluator.scoring.BatchRunner;
import ablate.evaluator.scoring.HarnessEncoding;
import ablate.evaluator.scoring.LanguageModel;
import ablate.evaluator.scoring.TokenScorer;
import ablate.evaluator.tasks.Task;
import ablate.evaluator.tasks.TaskRegistry;
import ablate.trainer.data.Tokenizer;
import ablate.trainer.hf.Pretrained;
import ablate.trainer.run.RunDirectory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One checkpoint's zero-shot evaluation as the aggregator runs it: exactly {@code ablate eval
 * --checkpoint RUN_DIR/checkpoints/step-N --tasks ... --limit ... --batch-tokens ...} (the same
 * task preparation, tokenization, batch plan, scoring and results file), except that the planned
 * batches are computed by {@code runner} (evaluator nodes) instead of a model in this process.
 */
final class CheckpointEvaluation {
    private CheckpointEvaluation() {}

    /**
     * @param dataDir the node's --data-dir, against which a relative eval.data-dir and eval.task-dir resolve
     */
    record Order(String run, long step, EvalConfig eval, Path storage, Path dataDir, int bootstrapIters) {
        Path runDir() {
            return storage.resolve(run);
        }

        Path checkpoint() {
            return LoadedCheckpoint.of(storage, run, step);
        }

        Path resultsFile() {
            return ResultsFile.of(runDir(), step);
        }
    }

    /** What came out: the headline figure per task ({@code acc} when the task has it), or why nothing was written. */
    record Result(Map<String, Double> scores, List<String> skipped, String problem, double seconds) {}

    /** The tasks of {@code eval} as the coordinator's node finds them; a name that is none fails listing the known ones. */
    static List<Task> tasks(EvalConfig eval, Path dataDir) {
        List<Path> extra = eval.taskDir().isBlank() ? List.of() : List.of(dataDir.resolve(eval.taskDir()));
        return TaskRegistry.load(extra).resolve(String.join(",", eval.tasks()));
    }

    static Result run(Order order, BatchRunner runner) {
        long start = System.nanoTime();
        EvalConfig eval = order.eval();
        Path checkpoint = order.checkpoint();
        List<Task> tasks = tasks(eval, order.dataDir());
        Evaluation evaluation = new Evaluation(new Evaluation.Options(eval.limit(), -1, order.bootstrapIters()));
        ObjectNode earlier = ResultsFile.earlier(order.resultsFile(), null);
        RunConfig config = Settings.parse(Settings.parseFile(checkpoint.resolve(RunDirectory.CONFIG)));
        try (Tokenizer tokenizer = Pretrained.checkpointTokenizer(checkpoint)) {
            Evaluation.Prepared prepared = evaluation.prepare(tasks, order.dataDir().resolve(eval.dataDir()));
            HarnessEncoding.Rule rule = HarnessEncoding.Rule.of(eval.encoding());
            // the decoder start the evaluator nodes load with the checkpoint (EOS for ablate's own)
            int decoderStart = Pretrained.checkpointDecoderStart(checkpoint, tokenizer);
            LanguageModel.Spec spec = new LanguageModel.Spec(config.model(), tokenizer, decoderStart);
            LanguageModel lm = LanguageModel.of(spec, new TokenScorer.Options(eval.batchTokens(), true), rule, runner);
            Evaluation.Outcome outcome = evaluation.run(prepared, lm);
            double seconds = (System.nanoTime() - start) / 1e9;
            List<String> skipped = outcome.skipped().stream().map(s -> s.task() + ": " + s.reason()).toList();
            if (outcome.results().isEmpty()) {
                return new Result(Map.of(), skipped, "no task could run; nothing written", seconds);
            }
            ResultsFile.Setup setup = new ResultsFile.Setup("run " + checkpoint, -1, eval.batchTokens(), "cluster", eval.limit(),
                    order.bootstrapIters(), rule);
            HarnessResults.write(order.resultsFile(), ResultsFile.json(outcome, setup, seconds, earlier));
            Map<String, Double> scores = new LinkedHashMap<>();
            for (TaskResult r : outcome.results()) {
                scores.put(r.task(), r.values().containsKey("acc") ? r.values().get("acc") : r.values().values().iterator().next());
            }
            return new Result(scores, skipped, "", seconds);
        }
    }
}
