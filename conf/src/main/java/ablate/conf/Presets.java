package ablate.conf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.util.List;
import java.util.stream.Stream;

/** The presets shipped in conf/src/main/resources/presets: the sizes and their {@link PresetFamily} partners. */
public final class Presets {
    /** Size presets, smallest first. */
    public static final List<String> SIZES = List.of("debug", "tiny", "small", "125m", "350m", "1b3", "176b");

    /** Every preset: the sizes, then each {@link PresetFamily}'s non-causal decoder and encoder-decoder. */
    public static final List<String> ALL = Stream.concat(SIZES.stream(), PresetFamily.ALL.stream()
            .flatMap(f -> f.presets().stream().filter(p -> !SIZES.contains(p)))).toList();

    private Presets() {}

    /** The preset {@code name}, or an error listing the known ones. */
    public static Config load(String name) {
        if (!ALL.contains(name)) {
            throw new SettingsException("--preset", "", "unknown preset '" + name + "'; known presets: " + String.join(", ", SIZES)
                    + ", and SIZE-non-causal and SIZE-encoder-decoder (the architectures at SIZE's training FLOPs) for each but 176b");
        }
        return ConfigFactory.parseResources(Presets.class, "/presets/" + name + ".conf",
                ConfigParseOptions.defaults().setAllowMissing(false));
    }
}
