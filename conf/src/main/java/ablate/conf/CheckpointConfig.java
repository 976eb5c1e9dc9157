package ablate.conf;

/** How often to checkpoint and how many checkpoints to keep (the {@code checkpoint} block). */
public record CheckpointConfig(int interval, int keep) {
    public CheckpointConfig {
        if (interval < 0) {
            throw SettingsException.of("checkpoint.interval", "must be >= 0 (0 saves only at the end), got " + interval);
        }
        if (keep < 1) {
            throw SettingsException.of("checkpoint.keep", "must keep at least 1 checkpoint, got " + keep);
        }
    }
}
