package ablate.trainer.run;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What may change when a run is resumed. Anything that changes the model, the data or the
 * numerics would make the resumed run a different run, so only these keys may differ from the
 * saved config.conf: more steps, evaluation and checkpoint cadence, the device and MFU peak, the
 * zero-shot evaluation block. The run's config.conf must itself still be the config its newest
 * checkpoint was trained with ({@link #checkUnedited}), so that editing the file cannot change a
 * resumed run behind the rules.
 */
public final class ResumePolicy {
    public static final Set<String> CHANGEABLE = Set.of("train.steps", "train.eval-interval", "train.eval-sequences",
            "train.peak-tflops", "train.threads", "train.device", "checkpoint.interval", "checkpoint.keep",
            "cluster.data-parallel", "eval.tasks", "eval.data-dir", "eval.task-dir", "eval.limit", "eval.batch-tokens",
            "eval.every-checkpoint", "eval.encoding");

    private ResumePolicy() {}

    /**
     * The config to resume with: the saved one, with the requested changes when they are allowed.
     *
     * @param requested overrides only, or (when {@code complete}) a whole config that must match
     *     the saved one outside {@link #CHANGEABLE}
     */
    public static RunConfig merge(Config saved, Config requested, boolean complete, Path savedFile) {
        RunConfig savedRun = Settings.parse(saved);
        RunConfig requestedRun = Settings.parse(complete ? requested : requested.withFallback(saved));
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : savedRun.source().entrySet()) {
            String key = e.getKey();
            ConfigValue now = requestedRun.source().hasPath(key) ? requestedRun.source().getValue(key) : null;
            boolean same = now != null && now.unwrapped().equals(e.getValue().unwrapped());
            if (!same && !CHANGEABLE.contains(key)) {
                differences.add(key + " = " + e.getValue().render() + " in the run, " + (now == null ? "unset" : now.render())
                        + " now (" + Settings.originOf(requestedRun.source(), key) + ")");
            }
        }
        if (!differences.isEmpty()) {
            throw new SettingsException(differences.getFirst().substring(0, differences.getFirst().indexOf(' ')),
                    savedFile.toString(), "cannot resume with a different config; only " + String.join(", ", CHANGEABLE.stream().sorted().toList())
                            + " may change:\n  " + String.join("\n  ", differences));
        }
        return requestedRun;
    }

    /**
     * Fails when the run's config.conf differs, outside {@link #CHANGEABLE}, from the config its
     * newest checkpoint saved (someone edited the file): the checkpoint's own config is the truth.
     */
    public static void checkUnedited(Config runFile, Path runFilePath, Config checkpointConfig, Path checkpointDir) {
        try {
            merge(checkpointConfig, runFile, true, checkpointDir.resolve("config.conf"));
        } catch (SettingsException e) {
            throw new SettingsException(e.key(), runFilePath.toString(), runFilePath + " differs from the config checkpoint "
                    + checkpointDir.getFileName() + " was trained with (was it edited?); put it back, or start a new run:\n  "
                    + e.problem().substring(e.problem().indexOf('\n') + 1).strip());
        }
    }
}
