package ablate.evaluator.run;

import ablate.evaluator.scoring.HarnessEncoding;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint's results file as {@code ablate eval} and the cluster's aggregator both write it:
 * the harness's layout, the harness's config block, ablate's per-task sources and skips, and the
 * tasks of an earlier file for the same checkpoint that were not scored again.
 */
public final class ResultsFile {
    private ResultsFile() {}

    /** What the harness's config block records about an evaluation ({@code encoding}: the tokenization rule of its pairs). */
    public record Setup(String modelArgs, int numFewShot, int batchTokens, String device, int limit, int bootstrapIters,
            HarnessEncoding.Rule encoding) {}

    /**
     * The file already at {@code file}, read before any scoring so that an unreadable one stops the
     * work before it starts; null when there is none.
     */
    public static ObjectNode earlier(Path file) {
        return Files.exists(file) ? HarnessResults.read(file) : null;
    }

    /** The JSON for {@code outcome}, with {@code earlier}'s tasks that were not scored again (null: none). */
    public static ObjectNode json(Evaluation.Outcome outcome, Setup setup, double seconds, ObjectNode earlier) {
        ObjectNode json = HarnessResults.toJson(outcome.results(), config(setup), extra(outcome, seconds));
        return earlier == null ? json : HarnessResults.merge(earlier, json);
    }

    private static Map<String, Object> config(Setup setup) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model", "ablate");
        config.put("model_args", setup.modelArgs());
        config.put("num_fewshot", setup.numFewShot() < 0 ? 0 : setup.numFewShot());
        config.put("batch_size", null);
        config.put("batch_tokens", setup.batchTokens());
        config.put("device", setup.device());
        config.put("no_cache", true);
        config.put("limit", setup.limit() == 0 ? null : setup.limit());
        config.put("bootstrap_iters", setup.bootstrapIters());
        config.put("description_dict", Map.of());
        config.put("encoding", setup.encoding().configName());
        return config;
    }

    private static Map<String, Object> extra(Evaluation.Outcome outcome, double seconds) {
        Map<String, Object> extra = new LinkedHashMap<>();
        Map<String, Object> sources = new LinkedHashMap<>();
        for (TaskResult r : outcome.results()) {
            sources.put(r.task(), Map.of("documents", r.documents(), "source", r.source()));
        }
        extra.put("tasks", sources);
        Map<String, String> skipped = new LinkedHashMap<>();
        outcome.skipped().forEach(s -> skipped.put(s.task(), s.reason()));
        extra.put("skipped", skipped);
        extra.put("seconds", seconds);
        return extra;
    }
}
