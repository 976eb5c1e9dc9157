package ablate.cluster.node;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code cluster.evaluation} block: how zero-shot scoring is spread over evaluator nodes.
 *
 * @param window planned batches in flight per evaluator (the next waits while one is scored)
 * @param unitTimeout a batch not answered in this long goes to another evaluator
 * @param jobTimeout the longest one checkpoint's evaluation may take, waiting for evaluators included
 * @param threads libtorch threads of an evaluator node; 0: every core
 * @param bootstrapIters resamples for bootstrapped standard errors
 */
public record EvaluationSettings(int window, Duration unitTimeout, Duration jobTimeout, int threads, int bootstrapIters) {

    public static EvaluationSettings from(Config user) {
        SettingsBlock c = new SettingsBlock(user.withFallback(NodeSettings.reference()), "cluster.evaluation.");
        EvaluationSettings s = new EvaluationSettings(c.positive("window"), c.duration("unit-timeout"), c.duration("job-timeout"),
                c.integer("threads"), c.integer("bootstrap-iters"));
        if (s.threads < 0) {
            throw c.problem("threads", "must be >= 0 (0: every core), got " + s.threads);
        }
        if (s.bootstrapIters < 0) {
            throw c.problem("bootstrap-iters", "must be >= 0, got " + s.bootstrapIters);
        }
        return s;
    }
}
