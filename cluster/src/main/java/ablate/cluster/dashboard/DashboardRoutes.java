package ablate.cluster.dashboard;

import ablate.cluster.api.Json;
import ablate.evaluator.planner.Plan;
import ablate.evaluator.planner.PlanRequest;
import ablate.evaluator.planner.PlanText;
import ablate.evaluator.planner.Planner;
import ablate.evaluator.planner.PlannerSettings;
import ablate.evaluator.planner.StudyFindings;
import ablate.evaluator.planner.Throughput;
import ablate.evaluator.report.Report;
import ablate.evaluator.report.Study;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dashboard: its page and files at / and /ui/ (no token: they hold no data), and what only the
 * page needs under /api/ (token required, as every /api/ path): the live feed (/api/events), a run's
 * details, a study's report and plan. Served by the coordinator over the live cluster, or by
 * {@code ablate dashboard} over folders, with the same pages.
 */
public final class DashboardRoutes extends AllDirectives {
    /** Events a second at most: curves move visibly, the coordinator is asked twice a second per page at most. */
    static final Duration EVERY = Duration.ofSeconds(1);
    private static final List<HttpHeader> PAGE_HEADERS = List.of(
            RawHeader.create("Content-Security-Policy", DashboardAssets.CONTENT_SECURITY_POLICY),
            RawHeader.create("X-Content-Type-Options", "nosniff"),
            RawHeader.create("Referrer-Policy", "no-referrer"),
            RawHeader.create("Cache-Control", "no-cache"));

    private final Snapshot.Source source;
    private final Function<String, Optional<Path>> runDirs;
    private final Function<String, Optional<Path>> studyDirs;
    private final Executor blocking;

    /**
     * @param runDirs a run's folder by name (empty: no such run)
     * @param studyDirs a study's folder by name (empty: no such study)
     * @param blocking where folders are read (never an actor's or the HTTP server's thread)
     */
    public DashboardRoutes(Snapshot.Source source, Function<String, Optional<Path>> runDirs, Function<String, Optional<Path>> studyDirs,
            Executor blocking) {
        this.source = source;
        this.runDirs = runDirs;
        this.studyDirs = studyDirs;
        this.blocking = blocking;
    }

    /** The paths that load without the token. */
    public static Set<String> publicPaths() {
        return DashboardAssets.publicPaths();
    }

    public Route routes() {
        return concat(
                get(() -> extractUri(uri -> DashboardAssets.at(uri.path())
                        .map(a -> complete(HttpResponse.create().addHeaders(PAGE_HEADERS).withEntity(HttpEntities.create(a.type(), a.bytes()))))
                        .orElseGet(this::reject))),
                pathPrefix("api", () -> get(() -> concat(
                        path("events", () -> parameterOptional("run", run -> parameterOptional("study", study -> events(run, study)))),
                        pathPrefix("runs", () -> pathPrefix(PathMatchers.segment(), first -> concat(
                                path("details", () -> details(first)),
                                pathPrefix(PathMatchers.segment(), second -> path("details", () -> details(first + "/" + second)))))),
                        pathPrefix("studies", () -> pathPrefix(PathMatchers.segment(), study -> concat(
                                path("report", () -> report(study)),
                                path("plan", () -> parameterOptional("gpu_hours", hours -> parameterOptional("gpu", gpu -> plan(study,
                                        hours.orElse("1000000"), gpu.orElse("a100-80gb"))))))))))));
    }

    /** For {@code ablate dashboard}: the pages over folders, and a refusal for anything that would change a run. */
    public Route readOnly(Function<Path, JsonNode> studyResults) {
        return concat(routes(),
                pathPrefix("api", () -> concat(
                        get(() -> path(PathMatchers.segment("studies").slash(PathMatchers.segment()).slash("results"),
                                study -> fromFolder(studyDirs.apply(study), "no study named " + study, dir -> studyResults.apply(dir)))),
                        post(() -> respond(405, Json.error("ablate dashboard only reads folders: start a coordinator to pause, resume, "
                                + "cancel or checkpoint a run"))))));
    }

    private Route events(Optional<String> run, Optional<String> study) {
        Predicate<String> followed = run.<Predicate<String>>map(r -> r::equals)
                .or(() -> study.map(s -> name -> name.startsWith(s + "/")))
                .orElse(name -> false);
        return completeOK(EventStream.of(source, followed, EVERY, blocking), EventStreamMarshalling.toEventStream());
    }

    private Route details(String run) {
        return fromFolder(runDirs.apply(run), "no run named " + run, dir -> {
            try {
                return RunDetails.of(dir);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private Route report(String study) {
        Optional<Path> dir = studyDirs.apply(study);
        if (dir.isEmpty()) {
            return respond(404, Json.error("no study named " + study));
        }
        return onBlocking(() -> new Report(Study.load(List.of(dir.get()))).html(), html -> complete(HttpResponse.create()
                .addHeaders(PAGE_HEADERS).withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, html))), study);
    }

    /** `ablate plan --study` for this study's folder, as text; a budget or GPU it does not know is a 400 with the planner's message. */
    private Route plan(String study, String gpuHours, String gpu) {
        Optional<Path> dir = studyDirs.apply(study);
        if (dir.isEmpty()) {
            return respond(404, Json.error("no study named " + study));
        }
        double hours;
        try {
            hours = Double.parseDouble(gpuHours);
            if (!(hours > 0) || !Double.isFinite(hours)) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            return respond(400, Json.error("gpu_hours must be a positive number, got " + gpuHours));
        }
        return onBlocking(() -> {
            PlannerSettings settings = PlannerSettings.builtIn();
            settings.gpu(gpu);
            StudyFindings findings = StudyFindings.of(Study.load(List.of(dir.get())), dir.get().toString(),
                    new Throughput.Mfu(settings.defaultMfu(), "planner.conf throughput.default-mfu"));
            Plan plan = new Planner(settings).plan(new PlanRequest(hours, gpu, 0, findings.throughput(), 0, false, findings.choices()));
            String command = String.format(java.util.Locale.ROOT, "$ ablate plan --gpu-hours %s --gpu %s --study %s%n", gpuHours, gpu, dir.get());
            return command + (findings.note().isEmpty() ? "" : findings.note() + "\n") + PlanText.render(plan);
        }, text -> complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, text))), study);
    }

    private Route fromFolder(Optional<Path> dir, String missing, Function<Path, JsonNode> read) {
        if (dir.isEmpty()) {
            return respond(404, Json.error(missing));
        }
        return onBlocking(() -> read.apply(dir.get()), json -> respond(200, json), dir.get().toString());
    }

    /** Runs {@code work} off the server's threads; an IllegalArgumentException is the caller's mistake (400), anything else a 500. */
    private <T> Route onBlocking(Callable<T> work, Function<T, Route> then, String what) {
        return onComplete(CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, blocking), result -> {
            if (result.isSuccess()) {
                return then.apply(result.get());
            }
            Throwable e = result.failed().get();
            while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
                e = e.getCause();
            }
            return e instanceof IllegalArgumentException || e instanceof ablate.conf.SettingsException
                    ? respond(400, Json.error(e.getMessage()))
                    : respond(500, Json.error("cannot read " + what + ": " + e.getMessage()));
        });
    }

    private Route respond(int status, JsonNode json) {
        return complete(HttpResponse.create().withStatus(StatusCodes.get(status))
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.toString())));
    }
}
