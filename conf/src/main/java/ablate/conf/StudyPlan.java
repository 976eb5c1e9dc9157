package ablate.conf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A study file expanded into its runs: a base run and variants that change one axis at a time
 * ({@code ablations}), or every combination of some axes ({@code grid}), each repeated over
 * {@code seeds}. Every run's config is composed and validated here, so an unknown key or value
 * fails before anything is submitted, naming the key and where it was set (study file:line).
 *
 * <pre>
 * name = positions                      # the study folder (default: the file's name)
 * preset = debug                        # the base run: a preset, config files, settings
 * configs = ["base.conf"]               # relative to the study file
 * settings { train.steps = 300 }
 * ablations = [{model.position = none}, {model.position = alibi}]   # or: grid { model.position = [...] }
 * seeds = [1, 2]                        # default: the base's train.seed only
 * </pre>
 *
 * A variant is named after its change ({@code position-alibi}, {@code position-alibi_activation-swiglu};
 * {@code name = ...} inside an ablation names it); with several seeds each name ends in
 * {@code -seedN}. The base of an ablation study is the run {@code base}; of a grid, its first
 * combination. {@code preset = NAME} in an ablation (or a grid axis of presets) puts that run on
 * another preset under the same settings, which is how the architectures of a {@link PresetFamily}
 * are compared: {@code {name = encoder-decoder, preset = tiny-encoder-decoder}}.
 */
public record StudyPlan(String name, String base, List<Run> runs) {
    private static final Set<String> KEYS = Set.of("name", "preset", "configs", "settings", "ablations", "grid", "seeds");
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    public StudyPlan {
        runs = List.copyOf(runs);
    }

    /**
     * One run of the study: its name in the study folder, what it changes (key to value, empty for the base),
     * and its validated config.
     */
    public record Run(String name, Map<String, String> change, RunConfig config) {}

    /**
     * Expands a study file.
     *
     * @param file the study file's text under its name (errors cite "name:line")
     * @param defaultName the study's name when the file has none (its file name)
     * @param readConfig reads a run config file the study names, relative to the study file
     * @param overrides {@code key=value} settings over every run (the command line's --set)
     */
    public static StudyPlan parse(Settings.Text file, String defaultName, Function<String, Settings.Text> readConfig, List<String> overrides) {
        Config study = Settings.parseText(file);
        for (Map.Entry<String, ConfigValue> e : study.root().entrySet()) {
            if (!KEYS.contains(e.getKey())) {
                throw Settings.unknownKey(e.getKey(), Settings.describe(e.getValue().origin()), KEYS);
            }
        }
        String name = study.hasPath("name") ? study.getString("name") : defaultName;
        if (!NAME.matcher(name).matches()) {
            throw new SettingsException("name", origin(study, "name"), "'" + name + "' is not a study name: letters, digits, '.', '_' and '-'");
        }
        if (study.hasPath("ablations") && study.hasPath("grid")) {
            throw new SettingsException("grid", origin(study, "grid"), "a study has ablations or a grid, not both");
        }
        Config base = ConfigFactory.empty();
        for (String override : overrides) {
            base = Settings.parseOverride(override).withFallback(base);
        }
        if (study.hasPath("settings")) {
            base = base.withFallback(object(study, "settings").toConfig());
        }
        List<String> configs = study.hasPath("configs") ? study.getStringList("configs") : List.of();
        for (String c : configs.reversed()) {
            base = base.withFallback(Settings.parseText(readConfig.apply(c)));
        }
        String preset = study.hasPath("preset") ? study.getString("preset") : "";
        List<Variant> variants = variants(study);
        List<Long> seeds = seeds(study);
        List<Run> runs = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (long seed : seeds) {
            for (Variant v : variants) {
                Config config = base;
                if (seeds.size() > 1 || study.hasPath("seeds")) {
                    config = ConfigFactory.empty().withValue("train.seed", ConfigValueFactory.fromAnyRef(seed,
                            Settings.describe(study.getValue("seeds").origin()))).withFallback(config);
                }
                config = v.settings().withoutPath("preset").withFallback(config).withFallback(presetOf(v.settings(), study, preset));
                String runName = v.name() + (seeds.size() > 1 ? "-seed" + seed : "");
                if (!names.add(runName)) {
                    throw new SettingsException(v.key(), v.origin(), "two runs of the study would be named " + runName
                            + "; give one of them its own name = ... in the ablation");
                }
                RunConfig parsed;
                try {
                    parsed = Settings.parse(config);
                } catch (SettingsException e) {
                    throw new SettingsException(e.key(), e.origin(), "in run " + runName + ": " + e.problem());
                }
                runs.add(new Run(runName, v.change(), parsed));
            }
        }
        String baseRun = variants.getFirst().name() + (seeds.size() > 1 ? "-seed" + seeds.getFirst() : "");
        return new StudyPlan(name, baseRun, runs);
    }

    /** The preset under a run: its variant's own ({@code preset = NAME} in an ablation or a grid), else the study's, if any. */
    private static Config presetOf(Config variant, Config study, String studyPreset) {
        Config where = variant.hasPath("preset") ? variant : study;
        String name = variant.hasPath("preset") ? variant.getString("preset") : studyPreset;
        if (name.isEmpty()) {
            return ConfigFactory.empty();
        }
        try {
            return Presets.load(name);
        } catch (SettingsException e) {
            throw new SettingsException("preset", origin(where, "preset"), e.problem());
        }
    }

    /**
     * A change to the base: its settings (with {@code preset} when it names its own preset), its name,
     * what it changes, and where it was written (for errors).
     */
    private record Variant(String name, Config settings, Map<String, String> change, String key, String origin) {}

    private static List<Variant> variants(Config study) {
        List<Variant> out = new ArrayList<>();
        if (study.hasPath("grid")) {
            ConfigObject grid = object(study, "grid");
            List<Map.Entry<String, ConfigList>> axes = new ArrayList<>();
            for (Map.Entry<String, ConfigValue> e : grid.toConfig().entrySet()) {
                if (e.getValue().valueType() != ConfigValueType.LIST || ((ConfigList) e.getValue()).isEmpty()) {
                    throw new SettingsException("grid." + e.getKey(), Settings.describe(e.getValue().origin()),
                            "a grid axis is a non-empty list of values, got " + e.getValue().render());
                }
                axes.add(Map.entry(e.getKey(), (ConfigList) e.getValue()));
            }
            if (axes.isEmpty()) {
                throw new SettingsException("grid", origin(study, "grid"), "the grid names no axis");
            }
            combine(axes, 0, ConfigFactory.empty(), new LinkedHashMap<>(), out, origin(study, "grid"));
            return out;
        }
        out.add(new Variant("base", ConfigFactory.empty(), Map.of(), "ablations", origin(study, "ablations")));
        if (study.hasPath("ablations")) {
            List<? extends ConfigObject> ablations;
            try {
                ablations = study.getObjectList("ablations");
            } catch (ConfigException.WrongType e) {
                throw new SettingsException("ablations", origin(study, "ablations"), "a list of changes, e.g. [{model.position = alibi}], "
                        + "each an object of run settings");
            }
            for (ConfigObject a : ablations) {
                Config settings = a.toConfig();
                String explicit = settings.hasPath("name") ? settings.getString("name") : "";
                settings = settings.withoutPath("name");
                Map<String, String> change = change(settings);
                if (change.isEmpty()) {
                    throw new SettingsException("ablations", Settings.describe(a.origin()), "an ablation changes nothing");
                }
                String variantName = explicit.isEmpty() ? nameOf(change) : explicit;
                if (!NAME.matcher(variantName).matches() || variantName.equals("base")) {
                    throw new SettingsException("ablations", Settings.describe(a.origin()), "'" + variantName
                            + "' cannot name a run (letters, digits, '.', '_' and '-'; not 'base')");
                }
                out.add(new Variant(variantName, settings, change, "ablations", Settings.describe(a.origin())));
            }
        }
        return out;
    }

    private static void combine(List<Map.Entry<String, ConfigList>> axes, int i, Config settings, Map<String, String> change,
            List<Variant> out, String origin) {
        if (i == axes.size()) {
            out.add(new Variant(nameOf(change), settings, Map.copyOf(change), "grid", origin));
            return;
        }
        String key = axes.get(i).getKey();
        for (ConfigValue value : axes.get(i).getValue()) {
            Map<String, String> more = new LinkedHashMap<>(change);
            more.put(key, text(value));
            combine(axes, i + 1, settings.withValue(key, value), more, out, origin);
        }
    }

    private static List<Long> seeds(Config study) {
        if (!study.hasPath("seeds")) {
            return List.of(0L); // the base's own train.seed
        }
        try {
            List<Long> seeds = study.getLongList("seeds");
            if (seeds.isEmpty() || new LinkedHashSet<>(seeds).size() != seeds.size()) {
                throw new SettingsException("seeds", origin(study, "seeds"), "a non-empty list of distinct seeds, got " + seeds);
            }
            return seeds;
        } catch (ConfigException.WrongType e) {
            throw new SettingsException("seeds", origin(study, "seeds"), "a list of whole numbers, e.g. [1, 2, 3]");
        }
    }

    private static Map<String, String> change(Config settings) {
        Map<String, String> change = new LinkedHashMap<>();
        settings.root().toConfig().entrySet().stream()
                .sorted(java.util.Comparator.comparingInt(e -> e.getValue().origin().lineNumber()))
                .forEach(e -> change.put(e.getKey(), text(e.getValue())));
        return change;
    }

    /** "position-alibi" for model.position = alibi; several changes joined with '_'. */
    private static String nameOf(Map<String, String> change) {
        List<String> parts = new ArrayList<>();
        change.forEach((key, value) -> {
            String leaf = key.substring(key.lastIndexOf('.') + 1);
            String v = value.replaceAll(".*/", "").replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
            parts.add(leaf + "-" + v.toLowerCase(Locale.ROOT));
        });
        String name = String.join("_", parts);
        return name.length() > 100 ? name.substring(0, 100) : name;
    }

    private static String text(ConfigValue value) {
        return value.valueType() == ConfigValueType.STRING ? value.unwrapped().toString() : value.render(
                com.typesafe.config.ConfigRenderOptions.concise());
    }

    private static ConfigObject object(Config study, String key) {
        try {
            return study.getObject(key);
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(key, origin(study, key), "must be an object of run settings, e.g. " + key + " { train.steps = 300 }");
        }
    }

    private static String origin(Config c, String key) {
        return Settings.originOf(c, key);
    }
}
