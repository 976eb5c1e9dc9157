package ablate.conf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Reads a run's settings: a size preset, config files and {@code --set key=value} overrides, in that
 * order of precedence (lowest first), checked against reference.conf before anything runs. Unknown
 * keys, wrong types and impossible values fail with the key, where it was set, and what is allowed.
 */
public final class Settings {
    /** The sections of reference.conf that belong to ablate. */
    private static final List<String> SECTIONS = List.of("model", "data", "train", "checkpoint", "cluster", "eval");

    private Settings() {}

    /** The layers a run's config is made of. An empty preset means none. */
    public record Sources(String preset, List<Path> files, List<String> overrides) {
        public Sources {
            files = List.copyOf(files);
            overrides = List.copyOf(overrides);
        }

        public static Sources ofPreset(String preset, String... overrides) {
            return new Sources(preset, List.of(), Arrays.asList(overrides));
        }
    }

    /** The built-in defaults: this module's reference.conf only. */
    public static Config reference() {
        return ownResource(Settings.class, "reference.conf");
    }

    /**
     * Parses the resource {@code name} from the jar (or classes folder) that holds {@code owner},
     * ignoring resources of the same name elsewhere on the class path. Typesafe Config merges every
     * {@code reference.conf} it finds, and Pekko's jars bring a dozen: without this the reference a
     * module validates against would hold Pekko's keys too. Origins still read
     * "built-in NAME:line".
     */
    public static Config ownResource(Class<?> owner, String name) {
        String classFile = owner.getName().replace('.', '/') + ".class";
        URL classUrl = owner.getClassLoader().getResource(classFile);
        if (classUrl == null || !classUrl.toString().endsWith(classFile)) {
            throw new IllegalStateException("cannot locate " + classFile + " to find its " + name);
        }
        String root = classUrl.toString().substring(0, classUrl.toString().length() - classFile.length());
        URL own;
        try {
            own = URI.create(root + name).toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException("cannot build the URL of " + name + " beside " + classUrl, e);
        }
        ClassLoader onlyOwn = new ClassLoader(null) {
            @Override
            public Enumeration<URL> getResources(String resource) {
                return Collections.enumeration(resource.equals(name) ? List.of(own) : List.of());
            }
        };
        return ConfigFactory.parseResources(onlyOwn, name, ConfigParseOptions.defaults().setAllowMissing(false));
    }

    /** Stacks the sources (overrides over files over preset), without the reference defaults. */
    public static Config compose(Sources sources) {
        Config composed = ConfigFactory.empty();
        for (String override : sources.overrides()) {
            composed = parseOverride(override).withFallback(composed);
        }
        for (Path file : sources.files().reversed()) {
            composed = composed.withFallback(parseFile(file));
        }
        if (!sources.preset().isEmpty()) {
            composed = composed.withFallback(Presets.load(sources.preset()));
        }
        return composed;
    }

    /** Parses one {@code key=value} argument; its origin names the argument. */
    public static Config parseOverride(String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new SettingsException("--set", "", "expected key=value, got '" + override + "'");
        }
        ConfigParseOptions options = ConfigParseOptions.defaults().setOriginDescription("--set " + override);
        try {
            return ConfigFactory.parseString(override, options);
        } catch (ConfigException e) {
            // a plain value HOCON cannot read unquoted (cuda:0, a path with ':' or '#'): take it as the string typed
            String value = override.substring(eq + 1).strip();
            if (!value.isEmpty() && !value.startsWith("[") && !value.startsWith("{") && !value.startsWith("\"")) {
                try {
                    return ConfigFactory.parseString(override.substring(0, eq) + "=" + ConfigValueFactory.fromAnyRef(value)
                            .render(ConfigRenderOptions.concise()), options);
                } catch (ConfigException again) {
                    // fall through to the first error
                }
            }
            throw new SettingsException(override.substring(0, eq).strip(), "--set " + override, "cannot parse: " + e.getMessage()
                    + " (quote a value with special characters: --set 'key=\"value\"')");
        }
    }

    /** A config file's contents under its name: what a console sends to the coordinator for a submit. */
    public record Text(String name, String text) {}

    /**
     * Like {@link #compose(Sources)} for config files given as text: origins read "name:line" so
     * that errors found on the coordinator name the user's file.
     */
    public static Config compose(String preset, List<Text> files, List<String> overrides) {
        Config composed = ConfigFactory.empty();
        for (String override : overrides) {
            composed = parseOverride(override).withFallback(composed);
        }
        for (Text file : files.reversed()) {
            composed = composed.withFallback(parseText(file));
        }
        if (!preset.isEmpty()) {
            composed = composed.withFallback(Presets.load(preset));
        }
        return composed;
    }

    /** Parses a config file's text, failing with its name when malformed. */
    public static Config parseText(Text file) {
        try {
            return ConfigFactory.parseString(file.text(), ConfigParseOptions.defaults().setOriginDescription(file.name()));
        } catch (ConfigException e) {
            throw new SettingsException("--config", file.name(), e.getMessage());
        }
    }

    /** Parses a config file, failing with its path when missing or malformed. */
    public static Config parseFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new SettingsException("--config", "", "config file " + file + " does not exist");
        }
        try {
            return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new SettingsException("--config", file.toString(), e.getMessage());
        }
    }

    /** Validates the composed user config against the reference and parses it into records. */
    public static RunConfig parse(Config user) {
        Config reference = reference();
        checkKnownKeys(user, reference);
        Config full;
        try {
            full = user.withFallback(reference).resolve();
            full.checkValid(reference, SECTIONS.toArray(String[]::new));
        } catch (ConfigException.ValidationFailed e) {
            String problems = java.util.stream.StreamSupport.stream(e.problems().spliterator(), false)
                    .map(p -> p.path() + " (" + describe(p.origin()) + "): " + p.problem())
                    .collect(Collectors.joining("\n  "));
            throw new SettingsException(e.problems().iterator().next().path(), "", "invalid settings:\n  " + problems);
        } catch (ConfigException e) {
            throw new SettingsException("config", describe(e.origin()), e.getMessage());
        }
        Config resolved = full;
        ModelConfig model = read(resolved, () -> readModel(resolved));
        DataConfig data = read(resolved, () -> readData(resolved));
        TrainConfig train = read(resolved, () -> readTrain(resolved, model.seqLen(), model.architecture()));
        CheckpointConfig checkpoint = read(resolved, () -> new CheckpointConfig(
                resolved.getInt("checkpoint.interval"), resolved.getInt("checkpoint.keep")));
        ClusterConfig cluster = read(resolved, () -> readCluster(resolved, train));
        EvalConfig eval = read(resolved, () -> new EvalConfig(resolved.getStringList("eval.tasks"), resolved.getString("eval.data-dir"),
                resolved.getString("eval.task-dir"), resolved.getInt("eval.limit"), resolved.getInt("eval.batch-tokens"),
                resolved.getBoolean("eval.every-checkpoint"), resolved.getString("eval.encoding")));
        Config kept = resolved.withOnlyPath("model");
        for (String section : SECTIONS.subList(1, SECTIONS.size())) {
            kept = kept.withFallback(resolved.withOnlyPath(section));
        }
        return new RunConfig(model, data, train, checkpoint, cluster, eval, kept);
    }

    /** Convenience: compose and parse. */
    public static RunConfig load(Sources sources) {
        return parse(compose(sources));
    }

    /** Where a key of the config was set, as "file:line", "--set ..." or "built-in reference.conf:line". */
    public static String originOf(Config config, String key) {
        return config.hasPath(key) ? describe(config.getValue(key).origin()) : "";
    }

    private static <T> T read(Config config, Supplier<T> reader) {
        try {
            return reader.get();
        } catch (SettingsException e) {
            if (e.hasOrigin()) {
                throw e;
            }
            throw new SettingsException(e.key(), originOf(config, e.key()), e.problem());
        } catch (ConfigException e) {
            throw wrongValue(e);
        }
    }

    /**
     * A value of the wrong type or out of range (3000000000 for an int), with the key it belongs to:
     * Typesafe Config names it only inside its message ("ORIGIN: KEY has type ..."), so it is taken
     * from there when it is a key of the reference.
     */
    private static SettingsException wrongValue(ConfigException e) {
        String message = e.getMessage();
        if (e.origin() != null && message.startsWith(e.origin().description() + ": ")) {
            String problem = message.substring(e.origin().description().length() + 2);
            int space = problem.indexOf(' ');
            String key = space > 0 ? problem.substring(0, space) : "";
            try {
                if (!key.isEmpty() && reference().hasPathOrNull(key)) {
                    return new SettingsException(key, describe(e.origin()), problem.substring(space + 1));
                }
            } catch (ConfigException notAPath) {
                // not a key after all: keep the whole message
            }
        }
        return new SettingsException("config", describe(e.origin()), message);
    }

    private static ModelConfig readModel(Config c) {
        return new ModelConfig(
                c.getInt("model.layers"),
                c.getInt("model.d-model"),
                c.getInt("model.heads"),
                c.getInt("model.seq-len"),
                c.getInt("model.vocab-size"),
                c.getInt("model.pad-vocab-to-multiple-of"),
                c.getInt("model.ffn-hidden"),
                choice(c, "model.position", Position.class),
                choice(c, "model.activation", Activation.class),
                c.getInt("model.swiglu-multiple-of"),
                c.getBoolean("model.embedding-layernorm"),
                choice(c, "model.attention-mask", AttentionMask.class),
                c.getDouble("model.rotary-fraction"),
                c.getDouble("model.rotary-base"),
                c.getDouble("model.layernorm-epsilon"),
                c.getDouble("model.init-std"),
                c.getDouble("model.dropout"),
                choice(c, "model.norm", Norm.class),
                c.getBoolean("model.bias"),
                choice(c, "model.gelu-approximation", GeluApproximation.class),
                c.getBoolean("model.tied-output"),
                c.getBoolean("model.parallel-residual"),
                c.getInt("model.kv-heads"),
                c.getInt("model.mlp-hidden"),
                architecture(c),
                c.getInt("model.relative-buckets"),
                c.getInt("model.relative-max-distance"));
    }

    /**
     * model.architecture: auto follows model.attention-mask (causal: causal-decoder, prefix:
     * non-causal-decoder), so configs written before the key existed mean what they meant.
     */
    private static Architecture architecture(Config c) {
        return choiceOrAuto(c, "model.architecture", Architecture.class)
                .orElseGet(() -> Architecture.of(choice(c, "model.attention-mask", AttentionMask.class)));
    }

    /** train.objective: auto is the architecture's own (full-lm, prefix-lm, span-corruption); any other must fit it. */
    private static Objective objective(Config c, Architecture architecture) {
        return choiceOrAuto(c, "train.objective", Objective.class).orElseGet(architecture::defaultObjective).requireFits(architecture);
    }

    private static DataConfig readData(Config c) {
        List<DataConfig.Corpus> corpora = new ArrayList<>();
        for (ConfigObject entry : c.getObjectList("data.corpora")) {
            for (String k : entry.keySet()) {
                if (!k.equals("path") && !k.equals("weight")) {
                    throw new SettingsException("data.corpora", describe(entry.get(k).origin()),
                            "unknown key '" + k + "' in a corpus; allowed: path, weight");
                }
            }
            Config corpus = entry.toConfig();
            if (!corpus.hasPath("path")) {
                throw new SettingsException("data.corpora", describe(entry.origin()), "a corpus needs a path");
            }
            corpora.add(new DataConfig.Corpus(corpus.getString("path"),
                    corpus.hasPath("weight") ? corpus.getDouble("weight") : 1.0));
        }
        return new DataConfig(corpora, c.getInt("data.builtin.train-documents"), c.getInt("data.builtin.val-documents"));
    }

    private static TrainConfig readTrain(Config c, int seqLen, Architecture architecture) {
        int sequences = c.getInt("train.global-batch-size");
        long tokens = c.getLong("train.global-batch-tokens");
        if (tokens < 0) {
            throw SettingsException.of("train.global-batch-tokens", "must be >= 0, got " + tokens);
        }
        if (tokens > 0) {
            if (tokens % seqLen != 0) {
                throw SettingsException.of("train.global-batch-tokens",
                        tokens + " tokens is not a whole number of sequences of model.seq-len = " + seqLen);
            }
            sequences = Math.toIntExact(tokens / seqLen);
        }
        return new TrainConfig(
                c.getLong("train.seed"),
                c.getInt("train.steps"),
                sequences,
                c.getInt("train.micro-batch-size"),
                c.getDouble("train.lr"),
                c.getDouble("train.min-lr"),
                c.getInt("train.warmup-steps"),
                c.getInt("train.decay-steps"),
                c.getDouble("train.beta1"),
                c.getDouble("train.beta2"),
                c.getDouble("train.eps"),
                c.getDouble("train.weight-decay"),
                c.getDouble("train.grad-clip"),
                c.getInt("train.eval-interval"),
                c.getInt("train.eval-sequences"),
                c.getInt("train.threads"),
                c.getString("train.device"),
                c.getDouble("train.peak-tflops"),
                readPrecision(c),
                choice(c, "train.gradient-reduction", GradientReduction.class),
                objective(c, architecture));
    }

    private static ClusterConfig readCluster(Config c, TrainConfig train) {
        String value = c.getString("cluster.data-parallel");
        if (value.equalsIgnoreCase("auto")) {
            return new ClusterConfig(0, train.microBatches());
        }
        try {
            return new ClusterConfig(Integer.parseInt(value.strip()), train.microBatches());
        } catch (NumberFormatException e) {
            throw SettingsException.of("cluster.data-parallel", "'" + value + "' is neither a number of trainers nor auto");
        }
    }

    private static MixedPrecision readPrecision(Config c) {
        if (c.getString("train.precision").equalsIgnoreCase("bf16")) {
            throw SettingsException.of("train.precision", "bf16 is not supported: DJL 0.35.1 aborts the JVM when it creates a"
                    + " bfloat16 array on the PyTorch engine (\"terminate called without an active exception\"), so bf16"
                    + " waits for an upstream fix; use fp16 (with dynamic loss scaling) or fp32");
        }
        return new MixedPrecision(choice(c, "train.precision", Precision.class), c.getDouble("train.loss-scale.initial"),
                c.getInt("train.loss-scale.window"), c.getDouble("train.loss-scale.min"), c.getInt("train.loss-scale.hysteresis"));
    }

    private static <E extends Enum<E>> E choice(Config c, String key, Class<E> type) {
        String value = c.getString(key);
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String allowed = Arrays.stream(type.getEnumConstants())
                    .map(v -> v.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(" | "));
            throw SettingsException.of(key, "'" + value + "' is not one of: " + allowed);
        }
    }

    /** A choice spelled with hyphens (causal-decoder for CAUSAL_DECODER), or empty for auto. */
    private static <E extends Enum<E>> java.util.Optional<E> choiceOrAuto(Config c, String key, Class<E> type) {
        String value = c.getString(key);
        if (value.strip().equalsIgnoreCase("auto")) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT).replace('-', '_')));
        } catch (IllegalArgumentException e) {
            String allowed = Arrays.stream(type.getEnumConstants())
                    .map(v -> v.name().toLowerCase(Locale.ROOT).replace('_', '-')).collect(Collectors.joining(" | "));
            throw SettingsException.of(key, "'" + value + "' is not one of: auto | " + allowed);
        }
    }

    private static void checkKnownKeys(Config user, Config reference) {
        for (Map.Entry<String, ConfigValue> entry : user.entrySet()) {
            String key = entry.getKey();
            checkNumber(key, entry.getValue(), reference);
            if (reference.hasPath(key) || key.startsWith("data.corpora")) {
                continue;
            }
            String section = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            TreeSet<String> known = new TreeSet<>();
            for (Map.Entry<String, ConfigValue> r : reference.entrySet()) {
                if (r.getKey().startsWith(section + ".")) {
                    known.add(r.getKey());
                }
            }
            if (known.isEmpty()) {
                known.addAll(SECTIONS);
            }
            throw unknownKey(key, describe(entry.getValue().origin()), known);
        }
    }

    /** The numeric settings that take fractions (read as doubles); every other number is a count and must be whole. */
    private static final java.util.Set<String> FRACTIONAL = java.util.Set.of("model.rotary-fraction", "model.rotary-base",
            "model.layernorm-epsilon", "model.init-std", "model.dropout", "train.lr", "train.min-lr", "train.beta1", "train.beta2",
            "train.eps", "train.weight-decay", "train.grad-clip", "train.peak-tflops", "train.loss-scale.initial",
            "train.loss-scale.min");

    /**
     * A number where the reference has a whole number must be whole (train.steps = 10.5 would
     * otherwise become 10), and no number may be NaN or infinite.
     */
    private static void checkNumber(String key, ConfigValue value, Config reference) {
        boolean numeric = reference.hasPath(key) && reference.getValue(key).valueType() == com.typesafe.config.ConfigValueType.NUMBER;
        double v;
        if (value.valueType() == com.typesafe.config.ConfigValueType.NUMBER) {
            v = ((Number) value.unwrapped()).doubleValue();
        } else if (numeric && value.valueType() == com.typesafe.config.ConfigValueType.STRING) {
            try {
                v = Double.parseDouble(value.unwrapped().toString().strip()); // HOCON reads "Infinity" or "1e3" given as text as numbers too
            } catch (NumberFormatException e) {
                return; // not a number at all: the reference check names the key
            }
        } else {
            return;
        }
        if (!Double.isFinite(v)) {
            throw new SettingsException(key, describe(value.origin()), "must be a finite number, got " + value.render());
        }
        boolean whole = numeric && !FRACTIONAL.contains(key);
        if (whole && v != Math.rint(v)) {
            throw new SettingsException(key, describe(value.origin()), "must be a whole number, got " + value.render());
        }
    }

    /** The error for a key that is not among {@code known}, suggesting the nearest one when it is close. */
    public static SettingsException unknownKey(String key, String origin, Collection<String> known) {
        String nearest = known.stream().min((a, b) -> Integer.compare(distance(a, key), distance(b, key))).orElse("");
        String hint = !nearest.isEmpty() && distance(nearest, key) <= Math.max(2, key.length() / 4) ? "did you mean '" + nearest + "'? " : "";
        return new SettingsException(key, origin, "unknown key; " + hint + "allowed: " + String.join(", ", new TreeSet<>(known)));
    }

    /** Where a config value was set, as "file:line", "--set ..." or "built-in NAME:line". */
    public static String describe(ConfigOrigin origin) {
        if (origin == null) {
            return "";
        }
        if (origin.filename() != null) {
            return origin.filename() + (origin.lineNumber() > 0 ? ":" + origin.lineNumber() : "");
        }
        if (origin.resource() != null) {
            return "built-in " + origin.resource() + (origin.lineNumber() > 0 ? ":" + origin.lineNumber() : "");
        }
        String d = origin.description();
        // a --set argument is one line; a config sent as text (a submit) reads "name: 3", shown as "name:3"
        return d.startsWith("--set ") ? d.replaceFirst(": \\d+$", "") : d.replaceFirst(": (\\d+)$", ":$1");
    }

    /** Levenshtein distance, for "did you mean" suggestions. */
    public static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
