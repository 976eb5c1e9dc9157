package ablate.cluster.api;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.assertj.core.api.Assertions.assertThat;

import ablate.cluster.TestNodes;
import ablate.cluster.node.ApiSettings;
import ablate.cluster.node.Secret;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API behind its bearer token, asked by a real HTTP client over 127.0.0.1. */
class ApiServerTest {
    private static final String WRONG = "wrong-token-5b0c8e21aa93f7d4";

    private static ActorTestKit kit;
    private static ApiServer server;
    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Everything logged (slf4j-simple writes to System.err) while the server runs. */
    private static final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private static PrintStream originalErr;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        originalErr = System.err;
        System.setErr(new PrintStream(new TeeStream(originalErr, logged), true, StandardCharsets.UTF_8));
        kit = ActorTestKit.create("ablate", TestNodes.trainer(dir, List.of()).inProcessPekkoConfig());
        Route routes = concat(
                pathPrefix("api", () -> path("ping", () -> complete("pong"))),
                path("metrics", () -> complete("ablate_up 1\n")));
        server = ApiServer.start(kit.system(), "127.0.0.1", new ApiSettings(true, Secret.of(TestNodes.TOKEN), 0), routes)
                .toCompletableFuture().get();
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop().toCompletableFuture().get();
        kit.shutdownTestKit();
        System.setErr(originalErr);
    }

    private static HttpResponse<String> get(String path, String... authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(10));
        if (authorization.length > 0) {
            request.header("Authorization", authorization[0]);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theServerReportsThePortItBound() {
        assertThat(server.port()).isPositive();
    }

    @Test
    void withoutATokenEveryApiAndMetricsRouteAnswers401() throws Exception {
        // "/" and the dashboard's files are the only public paths (DashboardRoutes.publicPaths); any other is protected
        for (String path : List.of("/api/ping", "/metrics", "/api/nothing-here", "/ui/nothing-here.js", "/ui/app.js/..", "/API/ping", "//api/ping")) {
            HttpResponse<String> response = get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body()).isEqualTo("{\"error\": \"missing bearer token\"}");
        }
    }

    @Test
    void aWrongTokenAnswers401() throws Exception {
        for (String authorization : List.of("Bearer " + WRONG, "Bearer " + TestNodes.TOKEN + "x", "Bearer " + TestNodes.TOKEN.substring(1),
                "Basic " + TestNodes.TOKEN, TestNodes.TOKEN)) {
            HttpResponse<String> response = get("/api/ping", authorization);
            assertThat(response.statusCode()).as(authorization).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).isPresent();
            assertThat(response.body()).startsWith("{\"error\": ").doesNotContain(TestNodes.TOKEN);
        }
        assertThat(get("/metrics", "Bearer " + WRONG).statusCode()).isEqualTo(401);
    }

    @Test
    void theRightTokenPasses() throws Exception {
        HttpResponse<String> ping = get("/api/ping", "Bearer " + TestNodes.TOKEN);
        assertThat(ping.statusCode()).isEqualTo(200);
        assertThat(ping.body()).isEqualTo("pong");
        assertThat(get("/metrics", "bearer " + TestNodes.TOKEN).body()).isEqualTo("ablate_up 1\n");
        assertThat(get("/api/nothing-here", "Bearer " + TestNodes.TOKEN).statusCode()).isEqualTo(404);
    }

    @Test
    void neitherTheTokenNorAWrongOneIsLogged() throws Exception {
        get("/api/ping", "Bearer " + WRONG);
        get("/api/ping", "Bearer " + TestNodes.TOKEN);
        get("/metrics");
        Thread.sleep(200); // Pekko's own log events are written by an actor, asynchronously

        String log = logged.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("refused GET /api/ping: wrong bearer token").contains("refused GET /metrics: missing bearer token");
        assertThat(log).doesNotContain(TestNodes.TOKEN).doesNotContain(WRONG);
    }

    /** Writes to the real stderr (so surefire keeps the output) and to a buffer. */
    private static final class TeeStream extends java.io.OutputStream {
        private final PrintStream first;
        private final ByteArrayOutputStream second;

        TeeStream(PrintStream first, ByteArrayOutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            first.write(b, off, len);
            second.write(b, off, len);
        }
    }
}
