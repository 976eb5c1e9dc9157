package ablate.conf;

import java.util.List;

/**
 * Zero-shot evaluation of a run on the cluster (the {@code eval} block; a local {@code ablate
 * train} ignores it, {@code ablate eval} takes the same choices as options).
 *
 * @param tasks task names (built-in or in {@code taskDir}); empty: the run is not evaluated
 * @param dataDir where the tasks' data files are, as the coordinator's node sees it (relative:
 *     against its --data-dir)
 * @param taskDir extra task definitions (*.conf) beside the built-in ones; empty: none
 * @param limit documents per task (0: all)
 * @param batchTokens tokens per forward pass
 * @param everyCheckpoint also evaluate every committed checkpoint, not only the final one
 * @param encoding how context/continuation pairs become tokens: harness-2022 or harness-2023
 */
public record EvalConfig(List<String> tasks, String dataDir, String taskDir, int limit, int batchTokens, boolean everyCheckpoint,
        String encoding) {
    public EvalConfig {
        tasks = List.copyOf(tasks);
        if (limit < 0) {
            throw SettingsException.of("eval.limit", "must be >= 0 (0: every document), got " + limit);
        }
        if (batchTokens < 1) {
            throw SettingsException.of("eval.batch-tokens", "must be at least 1, got " + batchTokens);
        }
        if (!encoding.equals("harness-2022") && !encoding.equals("harness-2023")) {
            throw SettingsException.of("eval.encoding", "'" + encoding + "' is not one of: harness-2022 | harness-2023");
        }
        if (!tasks.isEmpty() && dataDir.isBlank()) {
            throw SettingsException.of("eval.data-dir", "eval.tasks names " + tasks.size() + " task(s) but no data-dir says where their files are");
        }
    }

    /** Whether the run is evaluated at all. */
    public boolean enabled() {
        return !tasks.isEmpty();
    }
}
