package ablate.evaluator.run;

import ablate.trainer.checkpoint.Durable;
import ablate.trainer.checkpoint.WriteFailedException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Results in lm-evaluation-harness's layout ({@code results}, {@code versions}, {@code config}, as
 * its main.py writes with --output_path) so that tools reading harness output read ours, and the
 * markdown table its {@code make_table} prints. ablate's own details (data sources, timings) sit
 * under an extra {@code ablate} key that such tools ignore.
 */
public final class HarnessResults {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HarnessResults() {}

    /**
     * @param config the harness's config block (model, model_args, num_fewshot, limit, ...)
     * @param extra ablate's details per task and run
     */
    public static ObjectNode toJson(List<TaskResult> results, Map<String, Object> config, Map<String, Object> extra) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode values = root.putObject("results");
        ObjectNode versions = root.putObject("versions");
        for (TaskResult r : results) {
            ObjectNode task = values.putObject(r.task());
            r.values().forEach(task::put);
            versions.put(r.task(), r.version());
        }
        root.set("config", JSON.valueToTree(config));
        root.set("ablate", JSON.valueToTree(extra));
        return root;
    }

    /**
     * {@code fresh} with the tasks of {@code existing} it does not score again kept (results,
     * versions, and ablate's per-task details), so evaluating a checkpoint task by task never loses
     * an earlier figure. The config block is the fresh run's.
     */
    public static ObjectNode merge(ObjectNode existing, ObjectNode fresh) {
        ObjectNode merged = fresh.deepCopy();
        keepMissing(existing.get("results"), merged.get("results"));
        keepMissing(existing.get("versions"), merged.get("versions"));
        keepMissing(existing.path("ablate").get("tasks"), merged.path("ablate").get("tasks"));
        return merged;
    }

    /** Copies into {@code now} the fields of {@code old} it lacks, when both are objects. */
    private static void keepMissing(JsonNode old, JsonNode now) {
        if (old instanceof ObjectNode from && now instanceof ObjectNode to) {
            from.properties().forEach(e -> {
                if (!to.has(e.getKey())) {
                    to.set(e.getKey(), e.getValue());
                }
            });
        }
    }

    /** Reads a results file written by {@link #write}. */
    public static ObjectNode read(Path file) {
        try {
            if (!(JSON.readTree(file.toFile()) instanceof ObjectNode node)) {
                throw new IllegalArgumentException(file + " is not a JSON object; move it aside to write new results there");
            }
            return node;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a readable results file (" + e.getMessage()
                    + "); move it aside to write new results there", e);
        }
    }

    private static void deleteQuietly(Path tmp, IOException failure) {
        if (tmp == null) {
            return;
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Writes the JSON atomically (temp file, then rename), so a crash never leaves half a file.
     * When the file is a run checkpoint's results (RUN_DIR/eval/step-N.json) their TensorBoard
     * scalars follow ({@link EvalEvents}); this is the one place both {@code ablate eval} and the
     * cluster's evaluator nodes write results through.
     */
    public static void write(Path file, ObjectNode json) {
        Path tmp = null;
        try {
            byte[] bytes = JSON.writeValueAsBytes(json);
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                Durable.writeFully(channel, java.nio.ByteBuffer.wrap(bytes), file);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(tmp, e); // a full disk needs its space back; the earlier results file was never touched
            WriteFailedException failed = WriteFailedException.of(file, e);
            String kept = Files.exists(file) ? "; the results already in it are unchanged" : "";
            throw new UncheckedIOException((failed.diskFull() ? failed.getMessage() : "cannot write results to " + file + ": "
                    + e.getMessage()) + kept, failed);
        }
        var at = ResultsFile.runStepOf(file);
        if (at.isPresent()) {
            try {
                EvalEvents.write(at.get().runDir(), at.get().step(), json, InstantSource.system());
            } catch (IOException e) {
                throw new UncheckedIOException("wrote " + file + " but not its TensorBoard events in " + EvalEvents.folder(at.get().runDir())
                        + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The harness's make_table: columns Task, Version, Metric, Value, "", Stderr; values and
     * stderrs as %.4f; task and version only on a task's first line; as pytablewriter draws it
     * (headers centered, numbers right-aligned, minimum width 3).
     */
    public static String markdownTable(List<TaskResult> results) {
        String[] headers = {"Task", "Version", "Metric", "Value", "", "Stderr"};
        boolean[] right = {false, true, false, true, false, true};
        List<String[]> rows = new ArrayList<>();
        for (TaskResult r : results) {
            String task = r.task();
            String version = Integer.toString(r.version());
            for (Map.Entry<String, Double> e : r.values().entrySet()) {
                String metric = e.getKey();
                if (metric.endsWith("_stderr")) {
                    continue;
                }
                Double stderr = r.values().get(metric + "_stderr");
                rows.add(new String[] {task, version, metric, format(e.getValue()), stderr == null ? "" : "±", stderr == null ? "" : format(stderr)});
                task = "";
                version = "";
            }
        }
        int[] width = new int[headers.length];
        for (int c = 0; c < headers.length; c++) {
            width[c] = Math.max(3, headers[c].length());
            for (String[] row : rows) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        out.append('|');
        for (int c = 0; c < headers.length; c++) {
            int pad = width[c] - headers[c].length();
            out.append(" ".repeat(pad / 2)).append(headers[c]).append(" ".repeat(pad - pad / 2)).append('|');
        }
        out.append('\n').append('|');
        for (int c = 0; c < headers.length; c++) {
            out.append(right[c] ? "-".repeat(width[c] - 1) + ":" : "-".repeat(width[c])).append('|');
        }
        out.append('\n');
        for (String[] row : rows) {
            out.append('|');
            for (int c = 0; c < headers.length; c++) {
                String pad = " ".repeat(width[c] - row[c].length());
                out.append(right[c] ? pad + row[c] : row[c] + pad).append('|');
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
