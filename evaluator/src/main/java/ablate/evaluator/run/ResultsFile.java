package ablate.evaluator.run;

import ablate.evaluator.scoring.HarnessEncoding;
import ablate.trainer.run.RunDirectory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A checkpoint's results file as {@code ablate eval} and the cluster's aggregator both write it:
 * the harness's layout, the harness's config block, ablate's per-task sources and skips, and the
 * tasks of an earlier file for the same checkpoint that were not scored again.
 */
public final class ResultsFile {
    private static final Pattern STEP_FILE = Pattern.compile("step-(\\d{1,18})\\.json");

    private ResultsFile() {}

    /** Where the results of checkpoint {@code step} of a run go: RUN_DIR/eval/step-N.json, where `ablate report` reads them. */
    public static Path of(Path runDir, long step) {
        return runDir.resolve("eval").resolve("step-" + step + ".json");
    }

    /** The results files of a run's checkpoints ({@link #of}), by step, oldest first; empty when it has none. */
    public static java.util.NavigableMap<Long, Path> ofRun(Path runDir) throws java.io.IOException {
        java.util.TreeMap<Long, Path> out = new java.util.TreeMap<>();
        Path eval = runDir.resolve("eval");
        if (Files.isDirectory(eval)) {
            try (java.util.stream.Stream<Path> files = Files.list(eval)) {
                files.forEach(f -> {
                    Matcher name = STEP_FILE.matcher(f.getFileName().toString());
                    if (name.matches()) {
                        out.put(Long.parseLong(name.group(1)), f);
                    }
                });
            }
        }
        return out;
    }

    /** A run folder and the step of one of its checkpoints. */
    public record RunStep(Path runDir, long step) {}

    /**
     * The run and checkpoint step whose results {@code file} holds, when it is a run's
     * RUN_DIR/eval/step-N.json ({@link #of}) and RUN_DIR holds a run (its config.conf); empty for a
     * results file anywhere else ({@code ablate eval --out FILE}).
     */
    public static Optional<RunStep> runStepOf(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Matcher name = STEP_FILE.matcher(abs.getFileName().toString());
        Path eval = abs.getParent();
        if (!name.matches() || eval == null || eval.getFileName() == null || !eval.getFileName().toString().equals("eval")
                || eval.getParent() == null || !new RunDirectory(eval.getParent()).holdsRun()) {
            return Optional.empty();
        }
        return Optional.of(new RunStep(eval.getParent(), Long.parseLong(name.group(1))));
    }

    /** What the harness's config block records about an evaluation ({@code encoding}: the tokenization rule of its pairs). */
    public record Setup(String modelArgs, int numFewShot, int batchTokens, String device, int limit, int bootstrapIters,
            HarnessEncoding.Rule encoding) {}

    /**
     * The file already at {@code file}, read before any scoring so that an unreadable one stops the
     * work before it starts; null when there is none. A file that is not a results file, or holds
     * another model's results ({@code modelArgs} differs; null: the file's path already says whose
     * it is, RUN_DIR/eval/step-N.json), is refused: nothing is ever overwritten that is not this
     * model's results, whose other tasks are kept.
     */
    public static ObjectNode earlier(Path file, String modelArgs) {
        checkWritable(file);
        if (!Files.exists(file)) {
            return null;
        }
        ObjectNode existing = HarnessResults.read(file);
        if (!existing.path("results").isObject()) {
            throw new IllegalArgumentException(file + " exists and is not a results file (no \"results\" object); choose another"
                    + " output or move it aside (nothing was written)");
        }
        String theirs = existing.path("config").path("model_args").asText("");
        if (modelArgs != null && !sameModel(theirs, modelArgs)) {
            throw new IllegalArgumentException(file + " holds the results of " + (theirs.isEmpty() ? "another model" : theirs)
                    + ", not of " + modelArgs + "; choose another output or move it aside (nothing was written)");
        }
        return existing;
    }

    /** "run PATH" sources name the same checkpoint whatever the working directory; others must be equal. */
    private static boolean sameModel(String a, String b) {
        if (a.startsWith("run ") && b.startsWith("run ")) {
            return Path.of(a.substring(4)).toAbsolutePath().normalize().equals(Path.of(b.substring(4)).toAbsolutePath().normalize());
        }
        return a.equals(b);
    }

    /** Fails before any work when {@code file} could not be written (its folder is made if missing). */
    public static void checkWritable(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot write " + file + ": cannot make its folder (" + e.getMessage() + ")");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a folder; give a file for the results");
        }
        if (!Files.isWritable(parent) || (Files.exists(file) && !Files.isWritable(file))) {
            throw new IllegalArgumentException("cannot write " + file + ": permission denied (nothing was scored)");
        }
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
