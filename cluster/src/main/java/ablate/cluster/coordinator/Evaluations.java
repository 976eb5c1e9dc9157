package ablate.cluster.coordinator;

import ablate.cluster.evaluation.Aggregator;
import ablate.conf.EvalConfig;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The coordinator's view of a run's eval block: checked at submit, read when a checkpoint is due for scoring. */
final class Evaluations {
    private Evaluations() {}

    /**
     * Fails a submit whose eval block names a task that does not exist or a data folder the
     * coordinator's node does not have, naming the key and where it was set.
     */
    static void check(RunConfig config, Path dataDir) {
        EvalConfig eval = config.eval();
        if (!eval.enabled()) {
            return;
        }
        if (!eval.taskDir().isBlank() && !Files.isDirectory(dataDir.resolve(eval.taskDir()))) {
            throw new SettingsException("eval.task-dir", Settings.originOf(config.source(), "eval.task-dir"),
                    dataDir.resolve(eval.taskDir()) + " is not a folder on the coordinator's node");
        }
        if (!Files.isDirectory(dataDir.resolve(eval.dataDir()))) {
            throw new SettingsException("eval.data-dir", Settings.originOf(config.source(), "eval.data-dir"),
                    dataDir.resolve(eval.dataDir()) + " is not a folder on the coordinator's node (relative paths resolve against its --data-dir)");
        }
        try {
            Aggregator.tasks(eval, dataDir);
        } catch (IllegalArgumentException e) {
            throw new SettingsException("eval.tasks", Settings.originOf(config.source(), "eval.tasks"), e.getMessage());
        }
    }

    /** The run's eval block (its config was validated at submit). */
    static EvalConfig of(RunRecord run) {
        return Settings.parse(Settings.parseText(new Settings.Text(run.name() + "/config.conf", run.config()))).eval();
    }

    /** Whether a finished run asks for scores and its last checkpoint has no results file yet. */
    static boolean finalResultsMissing(RunRecord run, Path storage) {
        return of(run).enabled() && !Files.exists(ablate.evaluator.run.ResultsFile.of(storage.resolve(run.name()), run.committedStep()));
    }
}
