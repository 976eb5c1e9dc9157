package ablate.trainer.cli;

import ablate.conf.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options that choose a run's config: --preset, --config, --set. */
public final class ConfigOptions {
    @Option(names = "--preset", paramLabel = "NAME",
            description = "Size preset: debug, tiny, small, 125m, 350m, 1b3, 176b; each but 176b also as SIZE-non-causal (prefix LM) and "
                    + "SIZE-encoder-decoder (span corruption), at SIZE's training FLOPs per sequence (conf/src/main/resources/presets).")
    String preset = "";

    @Option(names = "--config", paramLabel = "FILE", description = "HOCON config file(s); later files win over earlier ones and over the preset.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one key, e.g. --set model.position=alibi. Wins over everything else.")
    List<String> overrides = new ArrayList<>();

    /** True when the user chose a preset or a config file. */
    public boolean chosen() {
        return !preset.isEmpty() || !files.isEmpty();
    }

    public Settings.Sources sources() {
        return new Settings.Sources(preset, files, overrides);
    }
}
