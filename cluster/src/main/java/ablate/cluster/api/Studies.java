package ablate.cluster.api;

import ablate.cluster.coordinator.Views.RunView;
import ablate.evaluator.report.Report;
import ablate.evaluator.report.Study;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The API's JSON about studies: their runs with zero-shot figures, and the report's comparison. */
final class Studies {
    private static final Pattern STEP = Pattern.compile("step-(\\d+)\\.json");

    private Studies() {}

    /** Each run as /api/runs shows it, plus {@code eval}: its newest results file's step, tasks and average acc. */
    static ArrayNode runs(List<RunView> runs) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (RunView r : runs) {
            ObjectNode n = Json.run(r);
            latestEval(Path.of(r.runDir()), n.putObject("eval"));
            out.add(n);
        }
        return out;
    }

    /** {"base", "variants": [...], "table": markdown} for a study folder, as `ablate report` computes them. */
    static ObjectNode results(Path folder) {
        try {
            Study study = Study.load(List.of(folder));
            Report report = new Report(study);
            ObjectNode out = Json.MAPPER.createObjectNode();
            out.put("study", folder.getFileName().toString());
            out.put("base", study.base());
            ArrayNode variants = out.putArray("variants");
            for (Map<String, Object> row : report.summary()) {
                ObjectNode v = Json.MAPPER.valueToTree(row);
                row.forEach((k, value) -> {
                    if (value instanceof Double d && !Double.isFinite(d)) {
                        v.putNull(k);
                    }
                });
                variants.add(v);
            }
            out.put("table", report.markdown());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void latestEval(Path runDir, ObjectNode eval) {
        Path dir = runDir.resolve("eval");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            Path newest = null;
            long step = -1;
            for (Path f : files.toList()) {
                Matcher m = STEP.matcher(f.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) > step) {
                    step = Long.parseLong(m.group(1));
                    newest = f;
                }
            }
            if (newest == null) {
                return;
            }
            JsonNode results = Json.MAPPER.readTree(newest.toFile()).path("results");
            eval.put("step", step);
            ObjectNode tasks = eval.putObject("tasks");
            double sum = 0;
            int n = 0;
            for (var e : results.properties()) {
                JsonNode acc = e.getValue().get("acc");
                if (acc != null && acc.isNumber()) {
                    tasks.put(e.getKey(), acc.asDouble());
                    sum += acc.asDouble();
                    n++;
                }
            }
            if (n > 0) {
                eval.put("avg_acc", sum / n);
            }
        } catch (IOException e) {
            eval.put("error", "cannot read " + dir + ": " + e.getMessage());
        }
    }
}
