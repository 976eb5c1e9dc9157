package ablate.cluster.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ablate.cli.Ablate;
import ablate.cluster.ClusterApi;
import ablate.cluster.NodeProcess;
import ablate.cluster.api.ApiServer;
import ablate.cluster.api.Studies;
import ablate.cluster.console.ClientEnvironment;
import ablate.cluster.console.ClientFactory;
import ablate.cluster.demo.NodeJvm;
import ablate.cluster.node.ApiSettings;
import ablate.cluster.node.Secret;
import ablate.evaluator.probe.ProbeTasks;
import ablate.trainer.data.BuiltinCorpus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The dashboard in a real headless Chromium, as a user opens it: a cluster of separate JVMs (a
 * coordinator, two trainers, an evaluator) with a long run in progress and a study of two variants.
 * Every page shows what the API says, the run's loss curve grows without a reload, the pause button
 * pauses the run, a wrong token is refused, and the page's console shows no error. Then the same
 * pages over the study's folders, read-only, as `ablate dashboard` serves them once the cluster is
 * gone. Screenshots at 1280 px wide go to target/screenshots/dashboard/ (kept after the build, for
 * a person to look at).
 */
class DashboardTest {
    private static final String TOKEN = "dashboard-test-token-51c7e0";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void everyPageShowsTheLiveClusterAndItsButtonsWork() throws Exception {
        assumeTrue(Chromium.binary().isPresent(), "SKIPPED LOUDLY: no chromium binary (/usr/bin/chromium); install Debian's package "
                + "with `apt-get install -y chromium` (.ci/run does) to test the dashboard in a browser");
        Path shots = Files.createDirectories(Path.of("target", "screenshots", "dashboard"));
        Path probes = dir.resolve("probes");
        ProbeTasks.write(probes, IntStream.range(0, 100).mapToObj(i -> BuiltinCorpus.heldOut(1, i)).toList(), 64, 30, 3);
        Path studyFile = Files.writeString(dir.resolve("pos.conf"), """
                preset = debug
                settings {
                  train { steps = 24, threads = 1 }
                  checkpoint.interval = 8
                  eval { tasks = [probe_cloze, probe_order], data-dir = "%s", task-dir = "%s", limit = 30, every-checkpoint = on }
                }
                ablations = [{model.position = alibi}]
                """.formatted(probes, probes.resolve("tasks")));
        List<NodeJvm> nodes = new ArrayList<>();
        List<String> env = List.of("ABLATE_TOKEN=" + TOKEN);
        String storage = "cluster.storage=" + dir.resolve("runs");
        try (Chromium browser = Chromium.start(dir, 1280, 900)) {
            NodeJvm coordinator = NodeProcess.start(dir.resolve("coordinator.log"), env, "--role", "coordinator", "--http-port", "0",
                    "--data-dir", dir.resolve("coordinator").toString(), "--set", storage);
            nodes.add(coordinator);
            for (int i = 0; i < 2; i++) {
                nodes.add(NodeProcess.start(dir.resolve("trainer-" + i + ".log"), env, "--role", "trainer", "--seed", coordinator.address(),
                        "--data-dir", dir.resolve("trainer-" + i).toString(), "--set", storage));
            }
            nodes.add(NodeProcess.start(dir.resolve("evaluator.log"), env, "--role", "evaluator", "--seed", coordinator.address(),
                    "--data-dir", dir.resolve("evaluator").toString(), "--set", storage));
            ClusterApi api = new ClusterApi(coordinator.api(), TOKEN);
            api.awaitTrainers(2);
            api.submit("long", "debug", List.of("train.steps=100000", "train.threads=1", "checkpoint.interval=50", "cluster.data-parallel=1"));
            api.await("long", r -> r.path("step").asLong() > 0, Duration.ofMinutes(2));
            ClientEnvironment client = new ClientEnvironment(Map.of(ClientEnvironment.COORDINATOR, coordinator.api(), ClientEnvironment.TOKEN,
                    TOKEN), dir, Clock.systemUTC(), Duration.ofMillis(100), Duration.ofSeconds(30));
            StringWriter err = new StringWriter();
            int exit = new CommandLine(new Ablate(), new ClientFactory(client)).setOut(new PrintWriter(new StringWriter()))
                    .setErr(new PrintWriter(err)).execute("submit", studyFile.toString(), "--data-parallel", "1");
            assertThat(exit).as(err.toString()).isZero();
            String site = "http://" + coordinator.api();

            // the page and its files load without the token; nothing else does
            assertThat(get(site + "/", "").statusCode()).isEqualTo(200);
            assertThat(get(site + "/ui/vendor/uPlot-1.6.32.iife.min.js", "").statusCode()).isEqualTo(200);
            assertThat(get(site + "/api/events", "").statusCode()).isEqualTo(401);
            assertThat(get(site + "/api/runs/long/details", "wrong-token-0000000000").statusCode()).isEqualTo(401);

            browser.navigate(site + "/#token=" + TOKEN + "&/cluster");
            assertThat(browser.eval("location.hash").asText()).as("the token leaves the address bar").isEqualTo("#/cluster");
            browser.await("document.querySelectorAll('#nodes tr[data-node]').length >= 4", Duration.ofSeconds(30));
            browser.await("!!document.querySelector('#runs tr[data-run=\"long\"]')", Duration.ofSeconds(30));
            browser.await("document.getElementById('nodes').textContent.includes('training')", Duration.ofSeconds(30));
            assertThat(browser.eval("document.getElementById('nodes').textContent").asText()).contains("trainer").contains("evaluator")
                    .contains("coordinator");
            browser.screenshot(shots.resolve("cluster.png"));

            browser.navigate(site + "/#/runs");
            browser.await("document.querySelectorAll('#runs tr[data-run]').length >= 3", Duration.ofSeconds(30));
            assertThat(browser.eval("document.getElementById('runs').textContent").asText()).contains("long").contains("pos/base");
            browser.screenshot(shots.resolve("runs.png"));

            browser.navigate(site + "/#/run/long");
            browser.await("+document.getElementById('chart-loss').dataset.points > 0", Duration.ofSeconds(30));
            browser.eval("window.stillTheSamePage = true");
            long before = browser.eval("+document.getElementById('chart-loss').dataset.points").asLong();
            Thread.sleep(3000);
            long after = browser.await("+document.getElementById('chart-loss').dataset.points > " + before
                    + " && +document.getElementById('chart-loss').dataset.points", Duration.ofSeconds(30)).asLong();
            assertThat(browser.eval("window.stillTheSamePage === true").asBoolean()).as("no reload").isTrue();
            assertThat(after).isGreaterThan(before);
            browser.await("document.getElementById('config').textContent.includes('steps=100000')", Duration.ofSeconds(30));
            browser.screenshot(shots.resolve("run.png"));

            browser.eval("document.querySelector('button[data-action=\"pause\"][data-run=\"long\"]').click()");
            assertThat(api.await("long", r -> r.path("state").asText().equals("paused"), Duration.ofMinutes(1)).path("state").asText())
                    .isEqualTo("paused");
            browser.await("document.getElementById('state').textContent === 'paused'", Duration.ofSeconds(30));
            browser.await("!!document.querySelector('button[data-action=\"resume\"]')", Duration.ofSeconds(10));

            for (String run : List.of("pos/base", "pos/position-alibi")) {
                assertThat(api.awaitEnd(run, Duration.ofMinutes(3)).path("state").asText()).isEqualTo("finished");
            }
            browser.navigate(site + "/#/study/pos");
            browser.await("document.getElementById('results').textContent.includes('position-alibi')", Duration.ofMinutes(3));
            browser.await("+document.getElementById('chart-acc').dataset.points >= 3", Duration.ofMinutes(1));
            browser.await("+document.getElementById('chart-loss').dataset.points >= 24", Duration.ofSeconds(30));
            browser.eval("document.getElementById('plan-form').requestSubmit()");
            browser.await("document.getElementById('plan').textContent.includes('Recommended model')", Duration.ofSeconds(30));
            browser.screenshot(shots.resolve("study.png"));
            assertThat(browser.errors()).as("the console of every page").isEmpty();

            browser.navigate(site + "/#token=wrong-token-0000000000&/runs");
            browser.await("!document.getElementById('login').hidden", Duration.ofSeconds(30));
            assertThat(browser.await("document.getElementById('login-error').textContent", Duration.ofSeconds(30)).asText()).contains("refused");
            assertThat(browser.eval("document.getElementById('main').textContent").asText()).doesNotContain("long");
            browser.screenshot(shots.resolve("refused.png"));
        } finally {
            for (NodeJvm n : nodes.reversed()) {
                n.close();
            }
        }
        readOnlyOverTheStudyFolder(dir.resolve("runs").resolve("pos"), shots);
    }

    /** `ablate dashboard STUDY`: the same pages from folders, no cluster; anything that would change a run is refused. */
    private void readOnlyOverTheStudyFolder(Path study, Path shots) throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dashboard-test",
                ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
        try (Chromium browser = Chromium.start(dir.resolve("folders"), 1280, 900)) {
            var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
            var runs = FolderSource.runs(study);
            assertThat(runs.keySet()).containsExactly("pos/base", "pos/position-alibi");
            DashboardRoutes routes = new DashboardRoutes(new FolderSource(study, blocking), name -> Optional.ofNullable(runs.get(name)),
                    name -> name.equals("pos") ? Optional.of(study) : Optional.empty(), blocking);
            ApiServer server = ApiServer.start(system, "127.0.0.1", new ApiSettings(true, Secret.of(TOKEN), 0), Optional.empty(),
                    routes.readOnly(Studies::results)).toCompletableFuture().get();
            String site = "http://127.0.0.1:" + server.port();
            HttpResponse<String> pause = HTTP.send(HttpRequest.newBuilder(URI.create(site + "/api/runs/pos/base/pause"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(pause.statusCode()).isEqualTo(405);
            assertThat(pause.body()).contains("only reads folders");

            browser.navigate(site + "/#token=" + TOKEN + "&/study/pos");
            browser.await("document.getElementById('results').textContent.includes('position-alibi')", Duration.ofSeconds(30));
            browser.await("+document.getElementById('chart-loss').dataset.points >= 24", Duration.ofSeconds(30));
            assertThat(browser.eval("document.getElementById('runs').textContent").asText()).contains("finished");
            assertThat(browser.eval("document.querySelectorAll('button[data-action]').length").asInt()).as("no run buttons").isZero();
            browser.screenshot(shots.resolve("study-folders.png"));
            assertThat(browser.errors()).isEmpty();
        } finally {
            system.terminate();
        }
    }

    private static HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (!token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
