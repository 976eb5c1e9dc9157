package ablate.cluster.api;

import ablate.cluster.coordinator.Coordinator;
import ablate.cluster.coordinator.Views.NodesFound;
import ablate.cluster.coordinator.Views.Refused;
import ablate.cluster.coordinator.Views.RunAnswer;
import ablate.cluster.coordinator.Views.RunFound;
import ablate.cluster.coordinator.Views.RunsFound;
import ablate.cluster.dashboard.DashboardRoutes;
import ablate.cluster.dashboard.LiveSource;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ablate.trainer.run.MetricsLog;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The coordinator's HTTP API, under /api/ (JSON) and /metrics (Prometheus text). Every answer
 * comes from the coordinator singleton (wherever it runs) within the ask timeout; a config is
 * validated here, before the coordinator sees it, with the same errors as `ablate train`.
 */
public final class ApiRoutes extends AllDirectives {
    /** Run and study names become folder and actor names: letters, digits, '.', '_' and '-'. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** A run's name: NAME, or STUDY/NAME for a run of a study (its folder inside the study's). */
    public static final Pattern RUN = Pattern.compile(NAME.pattern() + "(/" + NAME.pattern() + ")?");
    /** What follows a run's name in a path, so never the second part of a study run's name. */
    private static final java.util.Set<String> RUN_PATHS = java.util.Set.of("logs", "pause", "resume", "cancel", "checkpoint", "details");

    private final ActorSystem<?> system;
    private final ActorRef<Coordinator.Command> coordinator;
    private final Duration timeout;
    private final Path storage;

    public ApiRoutes(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator, Duration timeout, Path storage) {
        this.system = system;
        this.coordinator = coordinator;
        this.timeout = timeout;
        this.storage = storage;
    }

    /** The API, /metrics, and the dashboard's page and feed (ablate.cluster.dashboard). */
    public Route routes() {
        var blocking = system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
        DashboardRoutes dashboard = new DashboardRoutes(new LiveSource(system, coordinator, timeout),
                run -> RUN.matcher(run).matches() && Files.isDirectory(storage.resolve(run)) ? Optional.of(storage.resolve(run)) : Optional.empty(),
                study -> NAME.matcher(study).matches() && Files.isDirectory(storage.resolve(study)) ? Optional.of(storage.resolve(study))
                        : Optional.empty(),
                blocking);
        return concat(dashboard.routes(), pathPrefix("api", this::api), path("metrics", () -> get(this::metrics)));
    }

    private Route api() {
        return concat(
                path("runs", () -> concat(
                        get(() -> answer(ask(Coordinator.ListRuns::new), (RunsFound r) -> ok(Json.runs(r.runs())))),
                        post(() -> entity(Unmarshaller.entityToString(), this::submit)))),
                pathPrefix("runs", () -> pathPrefix(PathMatchers.segment(), first -> concat(
                        pathPrefix(PathMatchers.segment(), second -> RUN_PATHS.contains(second) ? reject() : oneRun(first + "/" + second)),
                        oneRun(first)))),
                path("studies", () -> post(() -> entity(Unmarshaller.entityToString(), this::submitStudy))),
                pathPrefix("studies", () -> pathPrefix(PathMatchers.segment(), study -> concat(
                        pathEnd(() -> get(() -> answer(ask(Coordinator.ListRuns::new), (RunsFound r) -> studyRuns(study, r)))),
                        path("results", () -> get(() -> results(study)))))),
                path("nodes", () -> get(() -> answer(ask(Coordinator.ListNodes::new), (NodesFound n) -> ok(Json.nodes(n.nodes()))))));
    }

    private Route oneRun(String name) {
        return concat(
                pathEnd(() -> get(() -> run(ask(replyTo -> new Coordinator.GetRun(name, replyTo))))),
                path("logs", () -> get(() -> parameterOptional("from", from -> logs(name, from.orElse("0"))))),
                path(PathMatchers.segment(), action -> post(() -> control(name, action))));
    }

    private Route metrics() {
        return answer(ask(Coordinator.ListRuns::new), (RunsFound runs) -> answer(ask(Coordinator.ListNodes::new),
                (NodesFound nodes) -> complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8,
                        Prometheus.text(runs.runs(), nodes.nodes()))))));
    }

    /** A submit: {"name": N, "preset": P, "files": [{"name": F, "text": T}], "set": ["k=v"]}. */
    private Route submit(String body) {
        RunConfig config;
        String name;
        try {
            JsonNode request = Json.MAPPER.readTree(body);
            List<Settings.Text> files = new ArrayList<>();
            for (JsonNode f : request.path("files")) {
                files.add(new Settings.Text(f.path("name").asText("config"), f.path("text").asText("")));
            }
            List<String> overrides = new ArrayList<>();
            request.path("set").forEach(o -> overrides.add(o.asText()));
            String preset = request.path("preset").asText("");
            if (preset.isEmpty() && files.isEmpty()) {
                throw new SettingsException("--preset", "", "give --preset NAME or --config FILE for a run");
            }
            config = Settings.parse(Settings.compose(preset, files, overrides));
            ablate.trainer.run.LoopPolicy.checkArchitecture(config); // refused here, not by every trainer it is placed on
            name = request.path("name").asText("");
            if (name.isEmpty()) {
                String base = !preset.isEmpty() ? preset : files.getLast().name().replaceAll(".*/", "").replaceFirst("\\.conf$", "");
                name = base.replaceAll("[^A-Za-z0-9._-]", "-") + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            }
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("--name '" + name + "': use letters, digits, '.', '_' and '-' (at most 100)");
            }
        } catch (SettingsException | IllegalArgumentException | IOException e) {
            return respond(400, Json.error(e.getMessage()));
        }
        String runName = name;
        String rendered = config.render();
        return run(ask(replyTo -> new Coordinator.Submit(runName, rendered, replyTo)));
    }

    /** A study: {"name": S, "base": B, "source": {"name", "text"}, "runs": [{"name": R, "config": resolved HOCON}]}. */
    private Route submitStudy(String body) {
        Coordinator.SubmitStudy message;
        try {
            JsonNode request = Json.MAPPER.readTree(body);
            String name = request.path("name").asText("");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("study name '" + name + "': use letters, digits, '.', '_' and '-' (at most 100)");
            }
            List<Coordinator.StudyRun> runs = new ArrayList<>();
            for (JsonNode r : request.path("runs")) {
                String run = r.path("name").asText("");
                if (!NAME.matcher(run).matches() || RUN_PATHS.contains(run)) {
                    throw new IllegalArgumentException("run name '" + run + "' in study " + name + ": letters, digits, '.', '_' and '-'"
                            + " (not " + String.join(", ", RUN_PATHS) + ")");
                }
                ablate.trainer.run.LoopPolicy.checkArchitecture(
                        Settings.parse(Settings.parseText(new Settings.Text(name + "/" + run + "/config.conf", r.path("config").asText("")))));
                runs.add(new Coordinator.StudyRun(run, r.path("config").asText("")));
            }
            message = new Coordinator.SubmitStudy(name, request.path("base").asText(""), request.path("source").path("text").asText(""),
                    runs, null);
        } catch (SettingsException | IllegalArgumentException | IOException e) {
            return respond(400, Json.error(e.getMessage()));
        }
        Coordinator.SubmitStudy m = message;
        return answer(ask(replyTo -> new Coordinator.SubmitStudy(m.name(), m.base(), m.source(), m.runs(), replyTo)), (RunAnswer a) -> switch (a) {
            case RunsFound found -> ok(Json.runs(found.runs()));
            case RunFound found -> ok(Json.run(found.run()));
            case Refused r -> respond(r.status(), Json.error(r.error()));
        });
    }

    /** The runs of a study with their latest zero-shot figures. */
    private Route studyRuns(String study, RunsFound all) {
        List<ablate.cluster.coordinator.Views.RunView> runs = all.runs().stream().filter(r -> r.name().startsWith(study + "/")).toList();
        if (runs.isEmpty()) {
            return respond(404, Json.error("no study named " + study));
        }
        return ok(Studies.runs(runs));
    }

    /** The study's comparison, as `ablate report` computes it, read from the run folders. */
    private Route results(String study) {
        if (!NAME.matcher(study).matches() || !Files.isDirectory(storage.resolve(study))) {
            return respond(404, Json.error("no study named " + study));
        }
        var blocking = system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
        return onComplete(java.util.concurrent.CompletableFuture.supplyAsync(() -> Studies.results(storage.resolve(study)), blocking),
                result -> result.isSuccess() ? ok(result.get())
                        : respond(500, Json.error("cannot read study " + study + ": " + result.failed().get().getMessage())));
    }

    private Route control(String name, String action) {
        Coordinator.Action a;
        try {
            a = Coordinator.Action.valueOf(action.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return respond(404, Json.error("no action '" + action + "'; actions: pause, resume, cancel, checkpoint"));
        }
        return run(ask(replyTo -> new Coordinator.Control(name, a, replyTo)));
    }

    /** The run's metrics.jsonl from line {@code from} on, as {"lines": [...], "next": N}. */
    private Route logs(String name, String from) {
        if (!RUN.matcher(name).matches()) {
            return respond(404, Json.error("no run named " + name));
        }
        return run(ask(replyTo -> new Coordinator.GetRun(name, replyTo)), found -> {
            int start;
            try {
                start = Math.max(0, Integer.parseInt(from));
            } catch (NumberFormatException e) {
                return respond(400, Json.error("from must be a line number, got " + from));
            }
            Path file = storage.resolve(name).resolve(MetricsLog.FILE);
            ObjectNode out = Json.MAPPER.createObjectNode();
            ArrayNode lines = out.putArray("lines");
            int next = start;
            if (Files.isRegularFile(file)) {
                try {
                    List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
                    for (int i = start; i < all.size(); i++) {
                        if (!all.get(i).isBlank()) {
                            lines.add(Json.MAPPER.readTree(all.get(i)));
                        }
                    }
                    next = Math.max(start, all.size());
                } catch (IOException e) {
                    return respond(500, Json.error("cannot read " + file + ": " + e.getMessage()));
                }
            }
            out.put("next", next);
            out.set("run", Json.run(found.run()));
            return ok(out);
        });
    }

    private Route run(CompletionStage<RunAnswer> answer) {
        return run(answer, found -> ok(Json.run(found.run())));
    }

    private Route run(CompletionStage<RunAnswer> answer, Function<RunFound, Route> then) {
        return answer(answer, a -> switch (a) {
            case RunFound found -> then.apply(found);
            case RunsFound found -> ok(Json.runs(found.runs()));
            case Refused r -> respond(r.status(), Json.error(r.error()));
        });
    }

    private <T> Route answer(CompletionStage<T> stage, Function<T, Route> then) {
        return onComplete(stage, result -> result.isSuccess() ? then.apply(result.get())
                : respond(503, Json.error("the coordinator did not answer within " + timeout + " (" + result.failed().get().getMessage()
                        + "); is a coordinator node up and joined?")));
    }

    private <T> CompletionStage<T> ask(Function<ActorRef<T>, Coordinator.Command> message) {
        return AskPattern.ask(coordinator, message::apply, timeout, system.scheduler());
    }

    private Route ok(JsonNode json) {
        return respond(200, json);
    }

    private Route respond(int status, JsonNode json) {
        return complete(HttpResponse.create().withStatus(StatusCodes.get(status))
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.toString())));
    }
}
