package ablate.cluster.node;

import ablate.conf.Settings;
import ablate.conf.SettingsException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/** Reads the keys of one block of a node's config ({@code cluster.training}, ...), naming key and origin in every error. */
record SettingsBlock(Config config, String prefix) {

    String fileName(String key) {
        try {
            String v = config.getString(prefix + key);
            if (v.isBlank() || v.contains("/") || v.contains("\\") || v.startsWith(".")) {
                throw problem(key, "must be a plain file name in the run folder, got '" + v + "'");
            }
            return v;
        } catch (ConfigException e) {
            throw problem(key, e.getMessage());
        }
    }

    boolean bool(String key) {
        try {
            return config.getBoolean(prefix + key);
        } catch (ConfigException e) {
            throw problem(key, e.getMessage());
        }
    }

    double number(String key) {
        try {
            return config.getDouble(prefix + key);
        } catch (ConfigException e) {
            throw problem(key, e.getMessage());
        }
    }

    Duration duration(String key) {
        try {
            Duration d = config.getDuration(prefix + key);
            if (d.isNegative() || d.isZero()) {
                throw problem(key, "must be a positive duration, got " + d);
            }
            return d;
        } catch (ConfigException e) {
            throw problem(key, e.getMessage());
        }
    }

    int positive(String key) {
        int v = integer(key);
        if (v < 1) {
            throw problem(key, "must be a positive integer, got " + v);
        }
        return v;
    }

    int integer(String key) {
        try {
            return config.getInt(prefix + key);
        } catch (ConfigException e) {
            throw problem(key, e.getMessage());
        }
    }

    SettingsException problem(String key, String what) {
        String full = prefix + key;
        return new SettingsException(full, Settings.originOf(config, full), what);
    }
}
