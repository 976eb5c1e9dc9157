package ablate.cluster.console;

import static ablate.cluster.console.StubCoordinator.Answer.error;
import static ablate.cluster.console.StubCoordinator.Answer.ok;
import static ablate.cluster.console.StubCoordinator.TOKEN;
import static ablate.cluster.console.StubCoordinator.logs;
import static ablate.cluster.console.StubCoordinator.metrics;
import static ablate.cluster.console.StubCoordinator.run;
import static org.assertj.core.api.Assertions.assertThat;

import ablate.cli.Ablate;
import ablate.cluster.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The one-shot client commands (`ablate submit`, `runs`, `logs`, ...) against a stub of the coordinator's API. */
class ClientCommandsTest {
    static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");

    @TempDir
    Path dir;

    private StubCoordinator stub;
    private final List<Result> results = new ArrayList<>();

    record Result(int exit, String out, String err) {}

    @BeforeEach
    void start() throws Exception {
        stub = new StubCoordinator();
    }

    @AfterEach
    void stop() {
        stub.close();
        for (Result r : results) {
            assertThat(r.out() + r.err()).as("the token is never printed").doesNotContain(TOKEN);
        }
    }

    private ClientEnvironment env(Map<String, String> variables) {
        return new ClientEnvironment(variables, dir, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMillis(20), Duration.ofSeconds(5));
    }

    private ClientEnvironment env() {
        return env(Map.of(ClientEnvironment.COORDINATOR, stub.address(), ClientEnvironment.TOKEN, TOKEN));
    }

    private Result ablate(String... args) {
        return ablate(env(), args);
    }

    private Result ablate(ClientEnvironment env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Ablate(), new ClientFactory(env)).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        Result r = new Result(exit, out.toString(), err.toString());
        results.add(r);
        return r;
    }

    @Test
    void submitSendsTheFilesTextsUnderTheirPathsWithTheOverridesAndDataParallelism() throws Exception {
        Path conf = Files.writeString(dir.resolve("my.conf"), "model { position = alibi }\ntrain.steps = 20\n");
        Path second = Files.writeString(dir.resolve("more.conf"), "train.seed = 7\n");
        String answer = run("alibi-1", "queued", 0, 30);
        stub.on("POST /api/runs", ok(answer));

        Result r = ablate("submit", "--preset", "debug", "--config", conf.toString(), "--config", second.toString(), "--set", "train.steps=30",
                "--name", "alibi-1", "--data-parallel", "2", "--json");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(answer + System.lineSeparator());
        assertThat(r.err()).isEmpty();
        JsonNode sent = Json.MAPPER.readTree(stub.requests("POST", "/api/runs").getFirst().body());
        assertThat(sent).isEqualTo(Json.MAPPER.readTree("""
                {"name": "alibi-1", "preset": "debug",
                 "files": [{"name": "%s", "text": "model { position = alibi }\\ntrain.steps = 20\\n"},
                           {"name": "%s", "text": "train.seed = 7\\n"}],
                 "set": ["train.steps=30", "cluster.data-parallel=2"]}""".formatted(conf, second)));
    }

    @Test
    void submitWithAPresetOnlySendsNoNameAndPrintsTheRun() throws Exception {
        stub.on("POST /api/runs", ok(run("debug-20250101-120000", "queued", 0, 30)));

        Result r = ablate("submit", "--preset", "debug", "--data-parallel", "auto");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("submitted debug-20250101-120000 (follow it with: ablate logs debug-20250101-120000 -f)")
                .contains("state       queued").contains("run dir     /runs/debug-20250101-120000");
        assertThat(Json.MAPPER.readTree(stub.requests().getFirst().body())).isEqualTo(Json.MAPPER.readTree("""
                {"preset": "debug", "files": [], "set": ["cluster.data-parallel=auto"]}"""));
    }

    @Test
    void submitRefusesWhatItCanCheckBeforeSendingAnything() {
        assertThat(ablate("submit", "--set", "train.steps=3")).isEqualTo(new Result(2, "", "error: give --preset NAME or --config FILE for a run\n"));
        Result missing = ablate("submit", "--config", dir.resolve("nope.conf").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("error: --config " + dir.resolve("nope.conf") + ": no such file\n");
        assertThat(ablate("submit", "--preset", "debug", "--data-parallel", "two").err())
                .isEqualTo("error: --data-parallel 'two': give a number of trainers (1, 2, ...) or auto\n");
        assertThat(stub.requests()).isEmpty();
    }

    @Test
    void aConfigErrorOfTheCoordinatorIsPrintedAsItIsAndIsBadInput() {
        stub.on("POST /api/runs", error(400, "model.foo (my.conf:3): unknown key; model keys: layers, d-model, heads"));

        Result r = ablate("submit", "--preset", "debug", "--set", "model.foo=1");

        assertThat(r).isEqualTo(new Result(2, "", "error: model.foo (my.conf:3): unknown key; model keys: layers, d-model, heads\n"));
    }

    @ParameterizedTest
    @CsvSource({"runs, /api/runs", "nodes, /api/nodes", "status r1, /api/runs/r1", "pause r1, /api/runs/r1/pause",
        "resume r1, /api/runs/r1/resume", "cancel r1, /api/runs/r1/cancel", "checkpoint r1, /api/runs/r1/checkpoint"})
    void jsonPrintsTheCoordinatorsJsonExactlyAndNothingElse(String command, String path) {
        String body = path.equals("/api/nodes") ? "[{\"node\":\"n1\",\"role\":\"trainer\"}]"
                : path.equals("/api/runs") ? "[" + run("r1", "running", 12, 30) + "]" : run("r1", "running", 12, 30);
        String method = command.startsWith("runs") || command.startsWith("nodes") || command.startsWith("status") ? "GET" : "POST";
        stub.on(method + " " + path, ok(body));
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.add("--json");

        Result r = ablate(args.toArray(String[]::new));

        assertThat(r).isEqualTo(new Result(0, body + System.lineSeparator(), ""));
        assertThat(stub.requests()).singleElement().satisfies(q -> {
            assertThat(q.method()).isEqualTo(method);
            assertThat(q.path()).isEqualTo(path);
        });
    }

    @Test
    void runsPrintsAnAlignedTable() {
        stub.on("GET /api/runs", ok("[" + run("r1", "running", 12, 30) + "," + run("r2-long", "queued", 0, 200) + "]"));

        Result r = ablate("runs");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                NAME     STATE    STEP/STEPS  LOSS    VAL  TOK/S   MFU   TRAINERS  UPDATED
                r1       running  12/30       3.2500  -    12,346  1.2%  2         5s ago
                r2-long  queued   0/200       -       -    -       -     2         5s ago
                """);
    }

    @Test
    void nodesPrintsAnAlignedTableMarkingUnreachableNodes() {
        stub.on("GET /api/nodes", ok("""
                [{"node":"n1","role":"coordinator","host":"10.0.0.1","pid":11,"device":"","state":"up","group":"","step":0,
                  "last_heartbeat":"2025-01-01T11:59:58Z","reachable":true},
                 {"node":"pekko://ablate@10.0.0.2:25520","role":"trainer","host":"10.0.0.2","pid":12,"device":"cuda:0","state":"training","group":"r1#3",
                  "step":12,"last_heartbeat":"2025-01-01T11:50:00Z","reachable":false}]"""));

        Result r = ablate("nodes");

        assertThat(r.out()).isEqualTo("""
                NODE            ROLE         DEVICE  STATE                   GROUP  STEP  HEARTBEAT-AGE
                n1              coordinator  -       up                      -      0     2s ago
                10.0.0.2:25520  trainer      cuda:0  training (unreachable)  r1#3   12    10m ago
                """);
    }

    @Test
    void statusPrintsTheRunAndTheActionsWhatTheyAskedFor() {
        stub.on("GET /api/runs/r1", ok(run("r1", "failed", 12, 30)));
        stub.on("POST /api/runs/r1/pause", ok(run("r1", "running", 12, 30)));

        assertThat(ablate("status", "r1").out()).isEqualTo("""
                run         r1
                state       failed
                step        12/30 (committed checkpoint: 10)
                loss        3.2500, val -
                throughput  12,346 tok/s, mfu 1.2%
                trainers    2 (n1, n2)
                restarts    0
                run dir     /runs/r1
                submitted   2025-01-01T11:59:00Z
                updated     2025-01-01T11:59:55Z (5s ago)
                error       out of memory
                """);
        assertThat(ablate("pause", "r1").out()).isEqualTo("pause requested: r1 is running at step 12/30 (committed checkpoint: step 10)\n");
    }

    @Test
    void refusalsOfTheCoordinatorAreErrorsWithItsReason() {
        stub.on("POST /api/runs/r1/resume", error(409, "r1 is already running"));

        assertThat(ablate("resume", "r1")).isEqualTo(new Result(1, "", "error: r1 is already running\n"));
        assertThat(ablate("status", "ghost")).isEqualTo(new Result(2, "", "error: no route /api/runs/ghost\n"));
        assertThat(ablate("cancel", "../nodes")).isEqualTo(new Result(2, "",
                "error: no run named '../nodes' (run names are letters, digits, '.', '_' and '-'; a study's runs STUDY/RUN)\n"));
    }

    @Test
    void aRefusedTokenIsNamedButNeverShown() throws Exception {
        Result wrong = ablate(env(Map.of(ClientEnvironment.COORDINATOR, stub.address(), ClientEnvironment.TOKEN, "not-" + TOKEN)), "runs");
        assertThat(wrong).isEqualTo(new Result(1, "", "error: the coordinator refused the token (ABLATE_TOKEN)\n"));

        Path file = Files.writeString(dir.resolve("token"), "also-not-" + TOKEN + "\n");
        Result fromFile = ablate(env(Map.of(ClientEnvironment.COORDINATOR, stub.address())), "runs", "--token-file", file.toString());
        assertThat(fromFile.err()).isEqualTo("error: the coordinator refused the token (--token-file " + file + ")\n");
        assertThat(fromFile.out() + fromFile.err() + wrong.out() + wrong.err()).doesNotContain("not-" + TOKEN);

        Path right = Files.writeString(dir.resolve("right"), TOKEN + "\n");
        stub.on("GET /api/runs", ok("[]"));
        assertThat(ablate(env(Map.of(ClientEnvironment.COORDINATOR, stub.address(), ClientEnvironment.TOKEN_FILE, right.toString())), "runs"))
                .isEqualTo(new Result(0, "no runs yet (ablate submit starts one)\n", ""));
        assertThat(stub.requests().getLast().authorization()).isEqualTo("Bearer " + TOKEN);
    }

    @Test
    void aCoordinatorThatIsNotThereIsNamedWithWhatToCheck() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Result r = ablate("runs", "--coordinator", "127.0.0.1:" + closed);

        assertThat(r).isEqualTo(new Result(1, "", "error: cannot reach the coordinator at 127.0.0.1:" + closed
                + ": connection refused; is `ablate node --role coordinator` running?\n"));
    }

    @Test
    void aCoordinatorThatDoesNotAnswerInTimeIsAnError() {
        stub.on("GET /api/runs", new StubCoordinator.Answer(200, "[]", 1500));
        ClientEnvironment impatient = new ClientEnvironment(env().variables(), dir, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMillis(20),
                Duration.ofMillis(300));

        Result r = ablate(impatient, "runs");

        assertThat(r).isEqualTo(new Result(1, "", "error: the coordinator at " + stub.address() + " did not answer within 300 ms\n"));
    }

    @Test
    void missingSettingsNameEveryWayToGiveThem() {
        Result noCoordinator = ablate(env(Map.of(ClientEnvironment.TOKEN, TOKEN)), "runs");
        assertThat(noCoordinator.exit()).isEqualTo(2);
        assertThat(noCoordinator.err()).startsWith("error: no coordinator: give --coordinator HOST:PORT or set ABLATE_COORDINATOR");

        Result noToken = ablate(env(Map.of()), "nodes", "--coordinator", stub.address());
        assertThat(noToken.exit()).isEqualTo(2);
        assertThat(noToken.err()).startsWith("error: no API token: set ABLATE_TOKEN").contains("--token-file FILE");

        Result badAddress = ablate("runs", "--coordinator", "localhost");
        assertThat(badAddress).isEqualTo(new Result(2, "", "error: --coordinator 'localhost': give the coordinator's HTTP API as HOST:PORT, e.g. 127.0.0.1:8080\n"));
        assertThat(stub.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://%s", "http://%s/", " %s "})
    void theAddressAsTheCoordinatorPrintsItIsTakenToo(String form) {
        stub.on("GET /api/runs", ok("[]"));
        assertThat(ablate("runs", "--coordinator", form.formatted(stub.address())).exit()).isZero();
    }

    @Test
    void logsPrintsTheMetricsAsTheTrainingLoopDoes() {
        stub.on("GET /api/runs/r1/logs", ok(logs(2, run("r1", "running", 2, 30), metrics(1, 4.5, ""), metrics(2, 4.25, "4.375"))));

        Result r = ablate("logs", "r1");

        assertThat(r).isEqualTo(new Result(0, """
                step 1/30 | loss 4.5000 | 2,048 tok/s | mfu 4.6%
                step 2/30 | loss 4.2500 | val 4.3750 | 2,048 tok/s | mfu 4.6%
                """, ""));
        assertThat(stub.requests().getFirst().query()).isEqualTo("from=0");
    }

    @Test
    void logsFollowUntilTheRunFinishesAndAskOnlyForNewLines() {
        stub.on("GET /api/runs/r1/logs",
                ok(logs(2, run("r1", "running", 2, 4), metrics(1, 4.5, ""), metrics(2, 4.25, ""))),
                ok(logs(2, run("r1", "running", 2, 4))),
                ok(logs(3, run("r1", "running", 3, 4), metrics(3, 4.0, ""))),
                ok(logs(4, run("r1", "finished", 4, 4), metrics(4, 3.75, "3.5"))));

        Result r = ablate("logs", "r1", "-f", "--from", "0");

        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).containsExactly(
                "step 1/4 | loss 4.5000 | 2,048 tok/s | mfu 4.6%",
                "step 2/4 | loss 4.2500 | 2,048 tok/s | mfu 4.6%",
                "step 3/4 | loss 4.0000 | 2,048 tok/s | mfu 4.6%",
                "step 4/4 | loss 3.7500 | val 3.5000 | 2,048 tok/s | mfu 4.6%",
                "r1 finished: 4/4 steps, loss 3.2500, val -, folder /runs/r1");
        assertThat(stub.requests().stream().map(StubCoordinator.Request::query)).containsExactly("from=0", "from=2", "from=2", "from=3");
    }

    @ParameterizedTest
    @CsvSource({"failed, 'error: r1 failed at step 3/4: out of memory'", "cancelled, 'error: r1 was cancelled at step 3/4'",
        "paused, 'error: r1 is paused at step 3/4 (committed checkpoint: step 0); `ablate resume r1` continues it'"})
    void logsFollowFailsWhenTheRunStopsUnfinished(String state, String message) {
        stub.on("GET /api/runs/r1/logs", ok(logs(3, run("r1", "running", 2, 4))), ok(logs(3, run("r1", state, 3, 4), metrics(3, 4.0, ""))));

        Result r = ablate("logs", "r1", "-f");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("step 3/4 | loss 4.0000 | 2,048 tok/s | mfu 4.6%\n");
        assertThat(r.err()).isEqualTo(message + "\n");
    }

    @Test
    void logsFollowWaitsForACoordinatorThatIsAwayForAMoment() {
        stub.on("GET /api/runs/r1/logs", error(503, "the coordinator did not answer within 5s"), error(503, "the coordinator did not answer within 5s"),
                ok(logs(1, run("r1", "finished", 1, 1), metrics(1, 4.0, ""))));

        Result r = ablate("logs", "r1", "-f");

        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEqualTo("waiting for the coordinator: the coordinator did not answer within 5s\n");
        assertThat(r.out()).startsWith("step 1/1 | loss 4.0000");
    }

    @Test
    void logsJsonPrintsOneMetricsObjectPerLineAndNothingElse() throws Exception {
        String[] lines = {metrics(1, 4.5, ""), metrics(2, 4.25, "4.375")};
        stub.on("GET /api/runs/r1/logs", ok(logs(2, run("r1", "finished", 2, 2), lines)));

        Result r = ablate("logs", "r1", "-f", "--json", "--from", "0");

        assertThat(r.exit()).isZero();
        List<String> printed = r.out().lines().toList();
        assertThat(printed).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(Json.MAPPER.readTree(printed.get(i))).isEqualTo(Json.MAPPER.readTree(lines[i]));
        }
    }

    @Test
    void environmentNeverShowsItsValues() {
        Map<String, String> variables = new HashMap<>(env().variables());
        assertThat(env(variables).toString()).doesNotContain(TOKEN);
    }
}
