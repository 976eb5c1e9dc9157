package ablate.cluster.node;

import ablate.conf.Settings;
import ablate.conf.SettingsException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/** The {@code cluster.training} block: how runs are driven on trainers, and every deadline. */
public record TrainingSettings(Duration prepareTimeout, Duration connectTimeout, Duration stepTimeout, Duration checkpointTimeout,
        Duration ordersTimeout, Duration collectiveTimeout, int collectiveBlockBytes, int grantAhead, int maxRestarts,
        Duration heartbeatInterval, Duration askTimeout, Duration haltTimeout, boolean grow, double stragglerFactor,
        int stragglerSteps, boolean excludeStragglers, Duration drainTimeout, String killSwitch,
        Duration resumeSmallerAfter) {

    /** Reads the block from a node's config (its overrides over the cluster reference). */
    public static TrainingSettings from(Config user) {
        Config c = user.withFallback(NodeSettings.reference());
        TrainingSettings s = new TrainingSettings(duration(c, "prepare-timeout"), duration(c, "connect-timeout"),
                duration(c, "step-timeout"), duration(c, "checkpoint-timeout"), duration(c, "orders-timeout"),
                duration(c, "collective-timeout"), positive(c, "collective-block-bytes"), positive(c, "grant-ahead"),
                integer(c, "max-restarts"), duration(c, "heartbeat-interval"), duration(c, "ask-timeout"), duration(c, "halt-timeout"),
                bool(c, "grow"), number(c, "straggler-factor"), positive(c, "straggler-steps"), bool(c, "exclude-stragglers"),
                duration(c, "drain-timeout"), string(c, "kill-switch"),
                duration(c, "resume-smaller-after"));
        if (s.maxRestarts < 0) {
            throw problem(c, "max-restarts", "must be >= 0, got " + s.maxRestarts);
        }
        if (!(s.stragglerFactor > 1)) {
            throw problem(c, "straggler-factor", "must be above 1 (a rank this many times slower than the others is a straggler), got "
                    + s.stragglerFactor);
        }
        return s;
    }

    private static String string(Config c, String key) {
        try {
            String v = c.getString("cluster.training." + key);
            if (v.isBlank() || v.contains("/") || v.contains("\\") || v.startsWith(".")) {
                throw problem(c, key, "must be a plain file name in the run folder, got '" + v + "'");
            }
            return v;
        } catch (ConfigException e) {
            throw problem(c, key, e.getMessage());
        }
    }

    private static boolean bool(Config c, String key) {
        try {
            return c.getBoolean("cluster.training." + key);
        } catch (ConfigException e) {
            throw problem(c, key, e.getMessage());
        }
    }

    private static double number(Config c, String key) {
        try {
            return c.getDouble("cluster.training." + key);
        } catch (ConfigException e) {
            throw problem(c, key, e.getMessage());
        }
    }

    private static Duration duration(Config c, String key) {
        try {
            Duration d = c.getDuration("cluster.training." + key);
            if (d.isNegative() || d.isZero()) {
                throw problem(c, key, "must be a positive duration, got " + d);
            }
            return d;
        } catch (ConfigException e) {
            throw problem(c, key, e.getMessage());
        }
    }

    private static int positive(Config c, String key) {
        int v = integer(c, key);
        if (v < 1) {
            throw problem(c, key, "must be a positive integer, got " + v);
        }
        return v;
    }

    private static int integer(Config c, String key) {
        try {
            return c.getInt("cluster.training." + key);
        } catch (ConfigException e) {
            throw problem(c, key, e.getMessage());
        }
    }

    private static SettingsException problem(Config c, String key, String what) {
        String full = "cluster.training." + key;
        return new SettingsException(full, Settings.originOf(c, full), what);
    }
}
