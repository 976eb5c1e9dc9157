package ablate.evaluator.tasks;

import ablate.evaluator.scoring.Aggregation;
import ablate.evaluator.scoring.Item;
import ablate.evaluator.scoring.PyRandom;
import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.Response;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One zero-shot task as defined by its HOCON file: where its documents come from, how a document
 * becomes prompts and requests ({@link Kind}), and which metrics it reports. Mirrors the
 * harness's {@code Task}: {@link #context} is {@code fewshot_context}, {@link #requests} is
 * {@code construct_requests}, {@link #score} is {@code process_results}.
 */
public final class Task {

    /** A reported metric: its name in the results, how it aggregates, and its direction. */
    public record Metric(String name, Aggregation aggregation, boolean higherIsBetter) {
        public Metric {
            Objects.requireNonNull(aggregation, "aggregation");
            if (name.isBlank()) throw new IllegalArgumentException("a metric needs a name");
        }
    }

    /** The documents read for a task and the source they came from. */
    public record Data(Source source, List<Document> documents) {
        public Data {
            documents = List.copyOf(documents);
        }

        /** Which files and format were used, and whether they are harness-exact (for the results table). */
        public String describe() {
            return source.describe() + ", " + documents.size() + " documents";
        }
    }

    private final Definition definition;
    private final Kind kind;

    /** Everything a task file says apart from its kind. */
    record Definition(String name, List<String> aliases, List<String> harnessNames, int version, String harness, String split,
                      int fewShot, List<Metric> metrics, List<Source> sources, String definedIn) {
        Definition {
            aliases = List.copyOf(aliases);
            harnessNames = List.copyOf(harnessNames);
            metrics = List.copyOf(metrics);
            sources = List.copyOf(sources);
            if (metrics.isEmpty()) throw new IllegalArgumentException("a task needs at least one metric");
            if (sources.isEmpty()) throw new IllegalArgumentException("a task needs at least one source");
            if (fewShot < 0) throw new IllegalArgumentException("few-shot must be >= 0, got " + fewShot);
        }
    }

    Task(Definition definition, Kind kind) {
        this.definition = definition;
        this.kind = kind;
        for (Metric m : definition.metrics()) kind.checkMetric(m);
    }

    public String name() {
        return definition.name();
    }

    /** The same task reported under another of its names (an alias the user asked for, as that harness version calls it). */
    Task named(String name) {
        Definition d = definition;
        return name.equals(d.name()) ? this : new Task(new Definition(name, d.aliases(), d.harnessNames(), d.version(), d.harness(),
                d.split(), d.fewShot(), d.metrics(), d.sources(), d.definedIn()), kind);
    }

    public List<String> aliases() {
        return definition.aliases();
    }

    /**
     * Other names of exactly this task in other harness versions (lambada in v0.2, lambada_openai in
     * v0.3): accepted like aliases, but results carry the name asked for.
     */
    public List<String> harnessNames() {
        return definition.harnessNames();
    }

    /** The harness's VERSION of the task, reported in the results' "versions". */
    public int version() {
        return definition.version();
    }

    /** Which harness file version the prompts were verified against. */
    public String harness() {
        return definition.harness();
    }

    public String split() {
        return definition.split();
    }

    /** Default number of few-shot examples (0 = zero-shot). */
    public int fewShot() {
        return definition.fewShot();
    }

    public List<Metric> metrics() {
        return definition.metrics();
    }

    public List<Source> sources() {
        return definition.sources();
    }

    /** The file (or class path resource) this task was defined in. */
    public String definedIn() {
        return definition.definedIn();
    }

    /**
     * Reads the first source whose files all exist under {@code dataDir}, and renders every
     * document's prompts once so that malformed data fails here, naming its file and line.
     */
    public Data documents(Path dataDir) throws TaskDataException {
        for (Source source : sources()) {
            if (!source.presentIn(dataDir)) continue;
            List<Document> docs = source.read(dataDir);
            if (docs.isEmpty()) throw new TaskDataException(dataDir.resolve(source.files().getFirst()), 0, "no documents");
            for (Document d : docs) {
                try {
                    kind.check(d);
                } catch (Template.RenderException | IllegalArgumentException e) {
                    throw new TaskDataException(Path.of(fileOf(d)), lineOf(d), "task " + name() + ": " + e.getMessage());
                }
            }
            return new Data(source, docs);
        }
        List<String> looked = sources().stream().map(s -> String.join(" + ", s.files())).toList();
        throw new TaskDataException(dataDir, 0, "no data for task " + name() + ": expected one of " + looked + " under the data directory");
    }

    /**
     * The harness's {@code fewshot_context}: with {@code numFewShot > 0}, {@code rnd.sample(pool,
     * numFewShot + 1)} minus {@code doc} itself, cut to {@code numFewShot}, each as text + target,
     * joined by blank lines and followed by one; then this document's text. The pool is the
     * evaluated split (the harness's fallback when a task has no training split).
     */
    public String context(Document doc, List<Document> pool, int numFewShot, PyRandom rnd) {
        if (numFewShot == 0) return kind.text(doc);
        if (kind instanceof Rolling) throw new IllegalArgumentException("task " + name() + " scores whole documents and takes no few-shot examples");
        List<Document> sampled = new ArrayList<>(rnd.sample(pool, numFewShot + 1));
        sampled.removeIf(doc::equals);
        StringBuilder sb = new StringBuilder();
        for (Document ex : sampled.subList(0, Math.min(numFewShot, sampled.size()))) {
            sb.append(kind.text(ex)).append(kind.target(ex)).append("\n\n");
        }
        return sb.append(kind.text(doc)).toString();
    }

    /** The requests for {@code doc}, given the context from {@link #context}. */
    public List<Request> requests(Document doc, String context) {
        if (kind instanceof AliasGreedy a) return a.requests(doc, context, metrics());
        return kind.requests(doc, context);
    }

    /** One item per metric, keyed by metric name in the order of {@link #metrics()}. */
    public Map<String, Item> score(Document doc, List<Response> responses) {
        int expected = requests(doc, kind.text(doc)).size();
        if (responses.size() != expected) {
            throw new IllegalArgumentException("task " + name() + " made " + expected + " requests for " + doc.origin() + " but got " + responses.size() + " responses");
        }
        return kind.score(doc, responses, metrics());
    }

    /** The gold answer for --log-samples. */
    public JsonNode gold(Document doc) {
        return kind.gold(doc);
    }

    /** The harness's {@code doc_to_text}. */
    public String text(Document doc) {
        return kind.text(doc);
    }

    /** The harness's {@code doc_to_target}. */
    public String target(Document doc) {
        return kind.target(doc);
    }

    private static String fileOf(Document d) {
        int colon = d.origin().lastIndexOf(':');
        return colon > 0 ? d.origin().substring(0, colon) : d.origin();
    }

    private static long lineOf(Document d) {
        String tail = d.origin().substring(d.origin().lastIndexOf(':') + 1);
        return tail.matches("[0-9]+") ? Long.parseLong(tail) : 0;
    }

    @Override
    public String toString() {
        return name() + " (version " + version() + ", " + definedIn() + ")";
    }
}
