package ablate.cluster.node;

import ablate.conf.SettingsException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** What a node does in the cluster; one JVM may have several roles (e.g. coordinator and trainer on one machine). */
public enum Role {
    /** May host the coordinator singleton (and its journal) and serve the HTTP API. */
    COORDINATOR,
    /** Trains on this JVM's GPU. */
    TRAINER,
    /** Scores checkpoints zero-shot. */
    EVALUATOR;

    /** The name Pekko's cluster sees ({@code pekko.cluster.roles}), and the one users type. */
    public String clusterName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "coordinator,trainer" (the --role argument); an unknown name fails listing the known ones. */
    public static Set<Role> parseList(String roles) {
        Set<Role> parsed = EnumSet.noneOf(Role.class);
        for (String name : roles.split(",")) {
            String trimmed = name.strip();
            try {
                parsed.add(valueOf(trimmed.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new SettingsException("--role", "", "'" + trimmed + "' is not one of: "
                        + Arrays.stream(values()).map(Role::clusterName).collect(Collectors.joining(" | ")));
            }
        }
        return Set.copyOf(parsed);
    }
}
