package ablate.evaluator.report;

import ablate.conf.ModelConfig;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.data.InvalidFileException;
import ablate.trainer.model.ModelSize;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The variants a report compares, read from folders and files:
 * <ul>
 * <li>a run folder (it holds config.conf): metrics.jsonl for loss curves and throughput, and its
 * zero-shot results as harness-layout files {@code eval/step-N.json} (N the checkpoint's step;
 * tokens seen = N x tokens per step unless the file's {@code ablate.tokens} says);</li>
 * <li>a study folder: every run folder and results file in it, and an optional {@code study.conf}
 * with {@code base = NAME}, the variant the others are compared with (without it, see
 * {@link BaseChoice}: the run every other run differs from in one setting, else the first);</li>
 * <li>a results file: lm-evaluation-harness layout or BigScience's aggregated checkpoints.</li>
 * </ul>
 * A variant is named after its folder or file (without .json and BigScience's -checkpoints_agg).
 */
public record Study(List<Variant> variants, BaseChoice baseChoice) {
    public static final String STUDY_CONF = "study.conf";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Study {
        variants = List.copyOf(variants);
        String name = baseChoice.name();
        if (variants.stream().noneMatch(v -> v.name().equals(name))) {
            throw new IllegalArgumentException("the base " + name + " is none of " + variants.stream().map(Variant::name).toList());
        }
    }

    /** The base's name. */
    public String base() {
        return baseChoice.name();
    }

    public static Study load(List<Path> paths) throws IOException {
        List<Variant> variants = new ArrayList<>();
        Map<String, Map<String, String>> settings = new LinkedHashMap<>();
        String base = "";
        for (Path p : paths) {
            if (Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.conf"))) {
                variants.add(run(p, settings));
            } else if (Files.isDirectory(p)) {
                Path conf = p.resolve(STUDY_CONF);
                if (base.isEmpty() && Files.isRegularFile(conf)) {
                    try {
                        Config c = ConfigFactory.parseFile(conf.toFile());
                        base = c.hasPath("base") ? c.getString("base") : "";
                    } catch (com.typesafe.config.ConfigException e) {
                        throw new InvalidFileException(conf + ": " + e.getMessage());
                    }
                }
                try (Stream<Path> children = Files.list(p)) {
                    for (Path child : children.sorted().toList()) {
                        if (Files.isDirectory(child) && Files.isRegularFile(child.resolve("config.conf"))) {
                            variants.add(run(child, settings));
                        } else if (child.toString().endsWith(".json")) {
                            variants.add(file(child));
                        }
                    }
                }
            } else if (Files.isRegularFile(p)) {
                variants.add(file(p));
            } else {
                throw new InvalidFileException(p + " does not exist");
            }
        }
        if (variants.isEmpty()) {
            throw new InvalidFileException("no runs or results files in " + paths);
        }
        if (base.isEmpty()) {
            return new Study(variants, BaseChoice.choose(variants, settings));
        }
        String b = base;
        if (variants.stream().noneMatch(v -> v.name().equals(b))) {
            throw new InvalidFileException("study.conf names base '" + base + "', which is none of "
                    + variants.stream().map(Variant::name).toList());
        }
        return new Study(variants, new BaseChoice(base, BaseChoice.How.NAMED));
    }

    public Variant baseVariant() {
        return variants.stream().filter(v -> v.name().equals(base())).findFirst().orElseThrow();
    }

    /** A run folder: config, metrics.jsonl and eval/step-N.json. */
    public static Variant run(Path dir) throws IOException {
        return run(dir, new LinkedHashMap<>());
    }

    /** A run folder, adding its resolved config, flattened, to {@code settings} under the variant's name. */
    private static Variant run(Path dir, Map<String, Map<String, String>> settings) throws IOException {
        RunConfig config = Settings.parse(Settings.parseFile(dir.resolve("config.conf")));
        Map<String, String> flat = new TreeMap<>();
        config.source().entrySet().forEach(e -> flat.put(e.getKey(), e.getValue().render(ConfigRenderOptions.concise())));
        settings.put(dir.getFileName().toString(), flat);
        ModelConfig m = config.model();
        long tokensPerStep = ModelSize.tokensPerStep(config);
        Map<String, String> axes = new LinkedHashMap<>();
        axes.put("position", lower(m.position()));
        axes.put("activation", lower(m.activation()));
        axes.put("embedding-layernorm", m.embeddingLayerNorm() ? "on" : "off");
        axes.put("attention-mask", lower(m.attentionMask()));
        axes.put("data", config.data().corpora().isEmpty() ? "builtin"
                : String.join("+", config.data().corpora().stream().map(c -> Path.of(c.path()).getFileName().toString()).toList()));
        List<double[]> train = new ArrayList<>();
        List<double[]> validation = new ArrayList<>();
        List<Double> speed = new ArrayList<>();
        List<Double> mfu = new ArrayList<>();
        Path metrics = dir.resolve("metrics.jsonl");
        if (Files.isRegularFile(metrics)) {
            List<String> lines = Files.readAllLines(metrics);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    if (i == lines.size() - 1) {
                        break; // the last line of a run that is writing it, or was killed while it did
                    }
                    throw new InvalidFileException(metrics + ":" + (i + 1) + ": not a metrics line (" + e.getOriginalMessage() + ")");
                }
                double tokens = n.path("tokens").asDouble();
                train.add(new double[] {tokens, n.path("loss").asDouble()});
                if (n.has("val_loss")) {
                    validation.add(new double[] {tokens, n.path("val_loss").asDouble()});
                }
                speed.add(n.path("tokens_per_s").asDouble());
                mfu.add(n.path("mfu").asDouble());
            }
        }
        List<CheckpointScores> evaluations = new ArrayList<>();
        for (Map.Entry<Long, Path> results : ablate.evaluator.run.ResultsFile.ofRun(dir).entrySet()) {
            double tokens = results.getKey() * (double) tokensPerStep;
            evaluations.add(ResultFiles.harness(ResultFiles.parse(results.getValue()), tokens));
        }
        return new Variant(dir.getFileName().toString(), dir.toString(), axes, evaluations, train, validation,
                Speed.of(speed), afterWarmupMedian(mfu), new ModelSize(m).nonEmbedding(), config.train().device());
    }

    /** A results file of either layout. */
    public static Variant file(Path f) throws IOException {
        JsonNode root = ResultFiles.parse(f);
        String name = f.getFileName().toString().replaceFirst("\\.json$", "").replaceFirst("-checkpoints_agg$", "");
        List<CheckpointScores> evaluations = ResultFiles.isBigScience(root)
                ? ResultFiles.bigScience(root, f)
                : List.of(ResultFiles.harness(root, Double.NaN));
        return new Variant(name, f.toString(), Map.of(), evaluations, List.of(), List.of(), Speed.UNKNOWN, Double.NaN, 0, "");
    }

    /** The median over the steps {@link Speed} keeps: those after its warm-up. */
    private static double afterWarmupMedian(List<Double> values) {
        List<Double> kept = values.size() > Speed.WARMUP_STEPS ? values.subList(Speed.WARMUP_STEPS, values.size()) : values;
        double[] sorted = kept.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted.length == 0 ? Double.NaN : Speed.quantile(sorted, 0.5);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
