package ablate.evaluator.run;

import ablate.evaluator.scoring.Aggregations;
import ablate.evaluator.scoring.Item;
import ablate.evaluator.scoring.LanguageModel;
import ablate.evaluator.scoring.PyRandom;
import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.Response;
import ablate.evaluator.tasks.Document;
import ablate.evaluator.tasks.Task;
import ablate.evaluator.tasks.TaskDataException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks on a model the way the harness's evaluator does: each task's documents shuffled with
 * {@code Random(42)} and cut to --limit, few-shot contexts drawn from the same generator, a task's
 * requests sent to the model together (so batching sees them all), responses scored per document
 * and aggregated in document order. A task whose data is missing or malformed, or whose requests
 * do not fit the model or have no meaning for it (perplexity on an encoder-decoder), is reported
 * and skipped with the reason; the others run.
 */
public final class Evaluation {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluation.class);

    /**
     * @param limit documents per task (0: all)
     * @param numFewShot few-shot examples per prompt (-1: each task's own default)
     * @param bootstrapIters resamples for bootstrapped standard errors (the harness's 100,000)
     */
    public record Options(int limit, int numFewShot, int bootstrapIters) {
        public Options {
            if (limit < 0) {
                throw new IllegalArgumentException("--limit must be >= 0 (0: every document), got " + limit);
            }
            if (numFewShot < -1) {
                throw new IllegalArgumentException("--num-fewshot must be >= 0, got " + numFewShot);
            }
            if (bootstrapIters < 0) {
                throw new IllegalArgumentException("--bootstrap-iters must be >= 0, got " + bootstrapIters);
            }
        }
    }

    /** A task that could not run, and why (file, line, what was expected). */
    public record Skipped(String task, String reason) {}

    /** One document's requests, responses and per-metric items, as --log-samples writes them. */
    public record Sample(String task, int docId, Document doc, String target, List<Request> requests,
            List<Response> responses, Map<String, Item> items) {}

    /** What came out: results of the tasks that ran, the skipped ones, and every sample. */
    public record Outcome(List<TaskResult> results, List<Skipped> skipped, List<Sample> samples) {}

    private final Options options;

    public Evaluation(Options options) {
        this.options = options;
    }

    /** The tasks whose documents and requests could be prepared, and those skipped for their data. */
    public record Prepared(List<Planned> tasks, List<Skipped> skipped) {}

    /**
     * Reads every task's data and builds its requests once; the result serves any number of
     * models (all checkpoints of a run). A task whose data is missing or malformed is skipped.
     */
    public Prepared prepare(List<Task> tasks, Path dataDir) {
        List<Planned> planned = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Task task : tasks) {
            try {
                planned.add(plan(task, dataDir));
            } catch (TaskDataException | IllegalArgumentException e) {
                LOG.warn("skipping {}: {}", task.name(), e.getMessage());
                skipped.add(new Skipped(task.name(), e.getMessage()));
            }
        }
        return new Prepared(List.copyOf(planned), List.copyOf(skipped));
    }

    public Outcome run(List<Task> tasks, Path dataDir, LanguageModel model) {
        return run(prepare(tasks, dataDir), model);
    }

    /** Scores prepared tasks; a task whose requests the model cannot take is skipped with the reason. */
    public Outcome run(Prepared prepared, LanguageModel model) {
        List<Skipped> skipped = new ArrayList<>(prepared.skipped());
        List<TaskResult> results = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (Planned p : prepared.tasks()) {
            List<Response> responses;
            try {
                long start = System.nanoTime();
                responses = answer(p, model);
                LOG.info("{}: scored in {} s", p.task.name(), String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
            } catch (IllegalArgumentException e) {
                LOG.warn("skipping {}: {}", p.task.name(), e.getMessage());
                skipped.add(new Skipped(p.task.name(), e.getMessage()));
                continue;
            }
            results.add(score(p, responses, samples));
        }
        return new Outcome(results, skipped, samples);
    }

    private TaskResult score(Planned p, List<Response> responses, List<Sample> samples) {
        Map<String, List<Item>> items = new LinkedHashMap<>();
        for (Task.Metric metric : p.task.metrics()) {
            items.put(metric.name(), new ArrayList<>());
        }
        int next = 0;
        for (int d = 0; d < p.docs.size(); d++) {
            Document doc = p.docs.get(d);
            List<Request> requests = p.requests.get(d);
            List<Response> docResponses = List.copyOf(responses.subList(next, next + requests.size()));
            next += requests.size();
            Map<String, Item> scored = p.task.score(doc, docResponses);
            scored.forEach((metric, item) -> items.computeIfAbsent(metric, k -> new ArrayList<>()).add(item));
            samples.add(new Sample(p.task.name(), d, doc, p.task.target(doc), requests, docResponses, scored));
        }
        TaskResult.Builder values = new TaskResult.Builder();
        for (Task.Metric metric : p.task.metrics()) {
            List<Item> metricItems = items.get(metric.name());
            values.metric(metric.name(), Aggregations.aggregate(metric.aggregation(), metricItems),
                    Aggregations.stderr(metric.aggregation(), metricItems, options.bootstrapIters()));
        }
        return new TaskResult(p.task.name(), p.task.version(), values.build(), p.docs.size(), p.source);
    }

    /** A task's documents after shuffling and --limit, and each one's requests. */
    public record Planned(Task task, List<Document> docs, List<List<Request>> requests, String source) {}

    /** The documents and requests of one task, as {@link #run} sends them (also for benchmarks). */
    public Planned plan(Task task, Path dataDir) throws TaskDataException {
        Task.Data data = task.documents(dataDir);
        List<Document> pool = data.documents();
        List<Document> docs = new ArrayList<>(pool);
        PyRandom rnd = new PyRandom(42);
        rnd.shuffle(docs);
        if (options.limit() > 0 && docs.size() > options.limit()) {
            docs = new ArrayList<>(docs.subList(0, options.limit()));
        }
        int shots = options.numFewShot() >= 0 ? options.numFewShot() : task.fewShot();
        List<List<Request>> requests = new ArrayList<>(docs.size());
        for (Document doc : docs) {
            String context = task.context(doc, pool, shots, rnd);
            requests.add(task.requests(doc, context));
        }
        int count = requests.stream().mapToInt(List::size).sum();
        LOG.info("{}: {} documents, {} requests, from {}", task.name(), docs.size(), count, data.describe());
        return new Planned(task, docs, requests, data.describe());
    }

    /**
     * A task's requests sent to the model by kind, so that each kind is batched as a whole;
     * responses in request order. A request the model cannot take (a continuation longer than its
     * window) fails the task with an IllegalArgumentException.
     */
    private static List<Response> answer(Planned planned, LanguageModel model) {
        List<Request> all = new ArrayList<>();
        planned.requests.forEach(all::addAll);
        List<Request.LogLikelihood> logLikelihood = new ArrayList<>();
        List<Request.Rolling> rolling = new ArrayList<>();
        List<Request.Generate> generate = new ArrayList<>();
        for (Request r : all) {
            switch (r) {
                case Request.LogLikelihood l -> logLikelihood.add(l);
                case Request.Rolling l -> rolling.add(l);
                case Request.Generate g -> generate.add(g);
            }
        }
        var ll = (logLikelihood.isEmpty() ? List.<Response.LogLikelihood>of() : model.logLikelihood(logLikelihood)).iterator();
        var rl = (rolling.isEmpty() ? List.<Response.Rolling>of() : model.logLikelihoodRolling(rolling)).iterator();
        var gen = (generate.isEmpty() ? List.<Response.Generated>of() : model.generate(generate)).iterator();
        List<Response> out = new ArrayList<>(all.size());
        for (Request r : all) {
            out.add(switch (r) {
                case Request.LogLikelihood l -> ll.next();
                case Request.Rolling l -> rl.next();
                case Request.Generate g -> gen.next();
            });
        }
        return out;
    }
}
