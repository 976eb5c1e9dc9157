package ablate.cluster.dashboard;

import ablate.cluster.api.Json;
import ablate.conf.Settings;
import ablate.evaluator.report.CheckpointScores;
import ablate.evaluator.report.ResultFiles;
import ablate.evaluator.run.ResultsFile;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
import ablate.trainer.model.ModelSize;
import ablate.trainer.run.RunDirectory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a run's page shows besides its curves, read from the run folder without disturbing its writer:
 * the resolved config, the committed checkpoints, and the zero-shot results of each evaluated
 * checkpoint (read as `ablate report` reads them), with the tokens seen at that step (step x the
 * config's tokens per step, as the report counts them).
 */
final class RunDetails {
    private RunDetails() {}

    static ObjectNode of(Path runDir) throws IOException {
        ObjectNode out = Json.MAPPER.createObjectNode();
        RunDirectory dir = new RunDirectory(runDir);
        String config = Files.isRegularFile(dir.config()) ? Files.readString(dir.config(), StandardCharsets.UTF_8) : "";
        out.put("config", config);
        long tokensPerStep = config.isEmpty() ? 0
                : ModelSize.tokensPerStep(Settings.parse(Settings.parseText(new Settings.Text(dir.config().toString(), config))));
        ArrayNode checkpoints = out.putArray("checkpoints");
        for (Checkpoint c : new Checkpoints(dir.checkpoints(), Integer.MAX_VALUE).committed()) {
            ObjectNode n = checkpoints.addObject();
            n.put("step", c.step());
            n.put("tokens", c.step() * tokensPerStep);
            long bytes = 0;
            java.nio.file.attribute.FileTime written = null;
            try (Stream<Path> files = Files.list(c.dir())) {
                for (Path f : files.toList()) {
                    bytes += Files.size(f);
                    written = written == null || Files.getLastModifiedTime(f).compareTo(written) > 0 ? Files.getLastModifiedTime(f) : written;
                }
            } catch (java.nio.file.NoSuchFileException pruned) {
                continue; // pruned by its run (checkpoint.keep) while being listed
            }
            n.put("bytes", bytes);
            n.put("written", written == null ? "" : written.toInstant().toString());
        }
        out.set("evals", evals(runDir, tokensPerStep));
        return out;
    }

    /** The results files of a run's checkpoints, oldest step first: step, tokens, tasks (metric, value, stderr) and avg_acc. */
    private static ArrayNode evals(Path runDir, long tokensPerStep) throws IOException {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Map.Entry<Long, Path> e : ResultsFile.ofRun(runDir).entrySet()) {
            ObjectNode n = out.addObject();
            n.put("step", e.getKey());
            n.put("tokens", e.getKey() * tokensPerStep);
            try {
                CheckpointScores scores = ResultFiles.harness(ResultFiles.parse(e.getValue()), Double.NaN);
                ObjectNode tasks = n.putObject("tasks");
                scores.tasks().forEach((task, score) -> tasks.putObject(task).put("metric", score.metric())
                        .put("value", score.value()).put("stderr", score.stderr()));
                if (!scores.tasks().isEmpty()) {
                    n.put("avg_acc", scores.average());
                    scores.averageStderr().ifPresent(s -> n.put("avg_acc_stderr", s));
                }
            } catch (IOException | RuntimeException bad) {
                n.put("error", "cannot read " + e.getValue() + ": " + bad.getMessage());
            }
        }
        return out;
    }
}
