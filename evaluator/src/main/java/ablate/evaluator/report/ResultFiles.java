package ablate.evaluator.report;

import ablate.trainer.data.InvalidFileException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads zero-shot results in the two published layouts:
 * <ul>
 * <li>lm-evaluation-harness ({@code {"results": {task: {metric: v, metric_stderr: v}}, "versions", "config"}}),
 * which ablate's evaluator also writes; the tokens seen come from ablate's extra {@code ablate.tokens}
 * key when present, else from the caller;</li>
 * <li>BigScience's aggregated checkpoint files ({@code {"tokens": [...], "checkpoints": [...],
 * "results": {task: {metric: [one value per checkpoint]}}}}), one evaluation per checkpoint.</li>
 * </ul>
 */
public final class ResultFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultFiles() {}

    /** Whether the JSON file is one of the two layouts (BigScience's has a top-level tokens list). */
    public static boolean isBigScience(JsonNode root) {
        return root.path("tokens").isArray() && root.path("results").isObject();
    }

    public static JsonNode parse(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidFileException(file + ":" + e.getLocation().getLineNr() + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.path("results").isObject()) {
            throw new InvalidFileException(file + " is neither lm-evaluation-harness nor BigScience results: no \"results\" object");
        }
        return root;
    }

    /** One evaluation from a harness-layout file. */
    public static CheckpointScores harness(JsonNode root, double tokens) {
        double seen = root.path("ablate").path("tokens").isNumber() ? root.path("ablate").path("tokens").asDouble() : tokens;
        Map<String, Score> tasks = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("results").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> task = it.next();
            JsonNode m = task.getValue();
            if (m.path(CheckpointScores.METRIC).isNumber()) {
                JsonNode se = m.path(CheckpointScores.METRIC + "_stderr");
                tasks.put(task.getKey(), new Score(CheckpointScores.METRIC, m.path(CheckpointScores.METRIC).asDouble(),
                        se.isNumber() ? se.asDouble() : Double.NaN));
            } else {
                skipped.put(task.getKey(), metrics(m));
            }
        }
        return new CheckpointScores(seen, tasks, skipped);
    }

    /** One evaluation per checkpoint of a BigScience aggregated file. */
    public static List<CheckpointScores> bigScience(JsonNode root, Path file) throws IOException {
        JsonNode tokens = root.path("tokens");
        List<CheckpointScores> out = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            Map<String, Score> tasks = new LinkedHashMap<>();
            Map<String, String> skipped = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.path("results").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> task = it.next();
                JsonNode m = task.getValue();
                JsonNode acc = m.path(CheckpointScores.METRIC);
                if (!acc.isArray()) {
                    skipped.put(task.getKey(), metrics(m));
                    continue;
                }
                if (acc.size() != tokens.size()) {
                    throw new InvalidFileException(file + ": task " + task.getKey() + " has " + acc.size() + " acc values for "
                            + tokens.size() + " checkpoints");
                }
                JsonNode se = m.path(CheckpointScores.METRIC + "_stderr");
                tasks.put(task.getKey(), new Score(CheckpointScores.METRIC, acc.get(i).asDouble(),
                        se.isArray() && se.size() == tokens.size() ? se.get(i).asDouble() : Double.NaN));
            }
            out.add(new CheckpointScores(tokens.get(i).asDouble(), tasks, skipped));
        }
        return out;
    }

    private static String metrics(JsonNode m) {
        List<String> names = new ArrayList<>();
        m.fieldNames().forEachRemaining(n -> {
            if (!n.endsWith("_stderr")) {
                names.add(n);
            }
        });
        return String.join(", ", names);
    }
}
