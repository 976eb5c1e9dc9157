package ablate.cluster.node;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code cluster.training} block: how runs are driven on trainers, and every deadline. */
public record TrainingSettings(Duration prepareTimeout, Duration connectTimeout, Duration stepTimeout, Duration checkpointTimeout,
        Duration ordersTimeout, Duration collectiveTimeout, int collectiveBlockBytes, int grantAhead, int maxRestarts,
        Duration heartbeatInterval, Duration askTimeout, Duration haltTimeout, boolean grow, double stragglerFactor,
        int stragglerSteps, boolean excludeStragglers, Duration drainTimeout, String killSwitch,
        Duration resumeSmallerAfter, Duration runLockTimeout) {

    /** Reads the block from a node's config (its overrides over the cluster reference). */
    public static TrainingSettings from(Config user) {
        SettingsBlock c = new SettingsBlock(user.withFallback(NodeSettings.reference()), "cluster.training.");
        TrainingSettings s = new TrainingSettings(c.duration("prepare-timeout"), c.duration("connect-timeout"),
                c.duration("step-timeout"), c.duration("checkpoint-timeout"), c.duration("orders-timeout"),
                c.duration("collective-timeout"), c.positive("collective-block-bytes"), c.positive("grant-ahead"),
                c.integer("max-restarts"), c.duration("heartbeat-interval"), c.duration("ask-timeout"), c.duration("halt-timeout"),
                c.bool("grow"), c.number("straggler-factor"), c.positive("straggler-steps"), c.bool("exclude-stragglers"),
                c.duration("drain-timeout"), c.fileName("kill-switch"),
                c.duration("resume-smaller-after"), c.duration("run-lock-timeout"));
        if (s.maxRestarts < 0) {
            throw c.problem("max-restarts", "must be >= 0, got " + s.maxRestarts);
        }
        if (!(s.stragglerFactor > 1)) {
            throw c.problem("straggler-factor", "must be above 1 (a rank this many times slower than the others is a straggler), got "
                    + s.stragglerFactor);
        }
        if (s.runLockTimeout.compareTo(s.prepareTimeout) > 0) {
            throw c.problem("run-lock-timeout", "must be at most prepare-timeout (" + s.prepareTimeout + "): the wait for the lock is"
                    + " part of preparing, got " + s.runLockTimeout);
        }
        return s;
    }
}
