package ablate.evaluator.planner;

import ablate.conf.Activation;
import ablate.conf.Position;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ablate.evaluator.scaling.ChinchillaLaw;
import ablate.evaluator.scaling.FittedRange;
import ablate.evaluator.scaling.KaplanLaw;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * planner.conf parsed once: the GPU catalog, the scaling-law presets and the rules for shapes,
 * batch sizes and layouts. A value that cannot be used fails here with its key and where it was
 * set (the built-in file and line, or the user's file and line).
 */
public record PlannerSettings(
        Map<String, GpuSpec> gpus,
        double defaultMfu,
        KaplanLaw kaplan,
        ChinchillaLaw chinchilla,
        FittedRanges fitted,
        ShapeRules shape,
        List<BatchStep> batch,
        Architecture architecture,
        LayoutRules layout) {

    /**
     * What each scaling law was fitted on, and how many times outside that a plan is flagged as an
     * extrapolation (section scaling-laws).
     */
    public record FittedRanges(FittedRange kaplan, FittedRange chinchilla, double farFactor) {
        public FittedRanges {
            if (!(farFactor >= 1) || Double.isInfinite(farFactor)) {
                throw new IllegalArgumentException("must be a finite number >= 1, got " + farFactor);
            }
        }
    }

    /** Levine et al.'s depth-to-width guidance and the shape constraints (section shape). */
    public record ShapeRules(double levineIntercept, double levineSlope, double depthTolerance, int headDim,
                             int headsMultipleOf, double sizeSlack, int seqLen, int vocabSize) {}

    /** GPT-3's batch size for models of at least {@code parameters} non-embedding parameters. */
    public record BatchStep(double parameters, double tokens) {}

    /** The default ablation axes and when a study's winner is adopted. */
    public record Architecture(Position position, Activation activation, boolean embeddingLayerNorm, double minThroughputRatio) {}

    /** Memory headroom, micro-batches tried, and what ZeRO-1 leaves replicated. */
    public record LayoutRules(double usableMemory, List<Integer> microBatches, double replicatedStateBytes) {}

    public PlannerSettings {
        gpus = Map.copyOf(gpus);
        batch = List.copyOf(batch);
    }

    /** The built-in planner.conf. */
    public static PlannerSettings builtIn() {
        return parse(reference());
    }

    /** The built-in settings under the user's file. */
    public static PlannerSettings load(Path userFile) {
        Config user = Settings.parseFile(userFile);
        Config reference = reference();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            boolean catalogEntry = key.startsWith("gpus.") || key.equals("batch.tokens-by-size");
            if (!catalogEntry && !reference.hasPath(key)) {
                throw new SettingsException(key, describe(e.getValue()), "unknown key in planner settings");
            }
        }
        return parse(user.withFallback(reference).resolve());
    }

    private static Config reference() {
        return ConfigFactory.parseResources(PlannerSettings.class, "/planner.conf",
                ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
    }

    private static PlannerSettings parse(Config c) {
        Map<String, GpuSpec> gpus = new TreeMap<>();
        for (String name : c.getObject("gpus").keySet()) {
            String k = "gpus." + name;
            gpus.put(name, read(c, k, () -> new GpuSpec(name,
                    positive(c, k + ".peak-tflops"), positive(c, k + ".memory-gib"), positive(c, k + ".nvlink-gbps"),
                    positive(c, k + ".inter-node-gbps"), (int) positive(c, k + ".per-node"))));
        }
        double mfu = fraction(c, "throughput.default-mfu");
        KaplanLaw kaplan = new KaplanLaw(positive(c, "scaling-laws.kaplan.n-c"), positive(c, "scaling-laws.kaplan.alpha-n"),
                positive(c, "scaling-laws.kaplan.d-c"), positive(c, "scaling-laws.kaplan.alpha-d"),
                positive(c, "scaling-laws.kaplan.c-c"), positive(c, "scaling-laws.kaplan.alpha-c"),
                positive(c, "scaling-laws.kaplan.n-e"), fraction(c, "scaling-laws.kaplan.p-n"),
                positive(c, "scaling-laws.kaplan.d-e"), fraction(c, "scaling-laws.kaplan.p-d"));
        ChinchillaLaw chinchilla = new ChinchillaLaw(positive(c, "scaling-laws.chinchilla.e"),
                positive(c, "scaling-laws.chinchilla.a"), positive(c, "scaling-laws.chinchilla.b"),
                fraction(c, "scaling-laws.chinchilla.alpha"), fraction(c, "scaling-laws.chinchilla.beta"));
        FittedRange kaplanFit = fittedOn(c, "scaling-laws.kaplan.fitted-on");
        FittedRange chinchillaFit = fittedOn(c, "scaling-laws.chinchilla.fitted-on");
        String far = "scaling-laws.extrapolation-factor";
        FittedRanges fitted = read(c, far, () -> new FittedRanges(kaplanFit, chinchillaFit, c.getDouble(far)));
        ShapeRules shape = new ShapeRules(positive(c, "shape.levine-intercept"), positive(c, "shape.levine-slope"),
                fraction(c, "shape.depth-tolerance"), (int) positive(c, "shape.head-dim"),
                (int) positive(c, "shape.heads-multiple-of"), fraction(c, "shape.size-slack"),
                (int) positive(c, "shape.seq-len"), (int) positive(c, "shape.vocab-size"));
        List<BatchStep> batch = new ArrayList<>();
        for (ConfigObject o : read(c, "batch.tokens-by-size", () -> c.getObjectList("batch.tokens-by-size"))) {
            Config step = o.toConfig();
            batch.add(read(c, "batch.tokens-by-size", () -> new BatchStep(step.getDouble("parameters"), step.getDouble("tokens"))));
        }
        for (int i = 0; i < batch.size(); i++) {
            if (!(batch.get(i).parameters() > 0 && batch.get(i).tokens() > 0)
                    || i > 0 && batch.get(i).parameters() <= batch.get(i - 1).parameters()) {
                throw new SettingsException("batch.tokens-by-size", Settings.originOf(c, "batch.tokens-by-size"),
                        "needs positive sizes and tokens, sizes increasing; entry " + (i + 1) + " is " + batch.get(i));
            }
        }
        if (batch.isEmpty()) {
            throw new SettingsException("batch.tokens-by-size", Settings.originOf(c, "batch.tokens-by-size"), "is empty");
        }
        List<Integer> micro = read(c, "layout.micro-batches", () -> c.getIntList("layout.micro-batches"));
        if (micro.isEmpty() || micro.stream().anyMatch(m -> m <= 0)) {
            throw new SettingsException("layout.micro-batches", Settings.originOf(c, "layout.micro-batches"),
                    "needs positive micro-batch sizes, got " + micro);
        }
        LayoutRules layout = new LayoutRules(fraction(c, "layout.usable-memory"), List.copyOf(micro),
                positive(c, "layout.replicated-state-bytes"));
        Architecture architecture = new Architecture(
                choice(c, "architecture.position", Position.class), choice(c, "architecture.activation", Activation.class),
                read(c, "architecture.embedding-layernorm", () -> c.getBoolean("architecture.embedding-layernorm")),
                fraction(c, "architecture.min-throughput-ratio"));
        return new PlannerSettings(gpus, mfu, kaplan, chinchilla, fitted, shape, batch, architecture, layout);
    }

    /** The catalog entry, or an error listing the known GPUs. */
    public GpuSpec gpu(String name) {
        GpuSpec spec = gpus.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("unknown GPU '" + name + "'; known: " + String.join(", ", new TreeMap<>(gpus).keySet()));
        }
        return spec;
    }

    /** Global batch in tokens for a model of {@code nonEmbedding} parameters (log-linear between entries). */
    public double batchTokens(double nonEmbedding) {
        if (nonEmbedding <= batch.getFirst().parameters()) {
            return batch.getFirst().tokens();
        }
        for (int i = 1; i < batch.size(); i++) {
            BatchStep lo = batch.get(i - 1);
            BatchStep hi = batch.get(i);
            if (nonEmbedding <= hi.parameters()) {
                double f = Math.log(nonEmbedding / lo.parameters()) / Math.log(hi.parameters() / lo.parameters());
                return lo.tokens() + f * (hi.tokens() - lo.tokens());
            }
        }
        return batch.getLast().tokens();
    }

    private interface Reader<T> {
        T get();
    }

    private static <T> T read(Config c, String key, Reader<T> reader) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            throw new SettingsException(key, Settings.originOf(c, key), e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new SettingsException(key, Settings.originOf(c, key), e.getMessage());
        }
    }

    private static double positive(Config c, String key) {
        double v = read(c, key, () -> c.getDouble(key));
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new SettingsException(key, Settings.originOf(c, key), "must be a positive number, got " + v);
        }
        return v;
    }

    private static FittedRange fittedOn(Config c, String key) {
        return new FittedRange(span(c, key + ".parameters"), span(c, key + ".tokens"), span(c, key + ".flops"));
    }

    /** [min, max]: two positive, finite numbers, min <= max. */
    private static FittedRange.Span span(Config c, String key) {
        List<Double> v = read(c, key, () -> c.getDoubleList(key));
        if (v.size() != 2) {
            throw new SettingsException(key, Settings.originOf(c, key), "needs [min, max], two numbers, got " + v);
        }
        return read(c, key, () -> new FittedRange.Span(v.get(0), v.get(1)));
    }

    private static double fraction(Config c, String key) {
        double v = read(c, key, () -> c.getDouble(key));
        if (!(v > 0 && v <= 1)) {
            throw new SettingsException(key, Settings.originOf(c, key), "must be in (0, 1], got " + v);
        }
        return v;
    }

    private static <E extends Enum<E>> E choice(Config c, String key, Class<E> type) {
        String value = read(c, key, () -> c.getString(key));
        try {
            return Enum.valueOf(type, value.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SettingsException(key, Settings.originOf(c, key), "'" + value + "' is not one of "
                    + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static String describe(ConfigValue v) {
        var o = v.origin();
        return o.filename() != null ? o.filename() + ":" + o.lineNumber() : o.description();
    }
}
