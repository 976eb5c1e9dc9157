package ablate.cluster.api;

import ablate.cluster.coordinator.Views.RunView;
import ablate.evaluator.report.CheckpointScores;
import ablate.evaluator.report.Report;
import ablate.evaluator.report.ResultFiles;
import ablate.evaluator.report.Study;
import ablate.evaluator.run.ResultsFile;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The API's JSON about studies: their runs with zero-shot figures, and the report's comparison. */
public final class Studies {

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
    public static ObjectNode results(Path folder) {
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
        try {
            var newest = ResultsFile.ofRun(runDir).lastEntry();
            if (newest == null) {
                return;
            }
            // the report's own reading of a results file: the same tasks and average as `ablate results`
            CheckpointScores scores = ResultFiles.harness(ResultFiles.parse(newest.getValue()), Double.NaN);
            eval.put("step", newest.getKey());
            ObjectNode tasks = eval.putObject("tasks");
            scores.tasks().forEach((task, score) -> tasks.put(task, score.value()));
            if (!scores.tasks().isEmpty()) {
                eval.put("avg_acc", scores.average());
            }
        } catch (IOException e) {
            eval.put("error", "cannot read " + runDir.resolve("eval") + ": " + e.getMessage());
        }
    }
}
