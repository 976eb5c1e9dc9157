package ablate.conf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;

/**
 * Everything a training run needs, parsed once from a resolved, validated {@link Config}; the
 * config itself is kept so that it can be written beside the run.
 */
public record RunConfig(ModelConfig model, DataConfig data, TrainConfig train, CheckpointConfig checkpoint, ClusterConfig cluster,
        EvalConfig eval, Config source) {

    /** The resolved config as HOCON with comments naming where each value came from. */
    public String render() {
        return source.root().render(ConfigRenderOptions.defaults().setJson(false).setOriginComments(false)
                .setComments(true).setFormatted(true));
    }
}
