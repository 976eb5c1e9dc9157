package ablate.cluster.console;

import ablate.cluster.api.ApiRoutes;
import ablate.cluster.api.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The coordinator's HTTP API (see {@link ApiRoutes}) over java.net.http: every request carries the
 * bearer token, every failure becomes an {@link ApiException} whose message says what to do, and an
 * answer keeps its body exactly as sent, for {@code --json}.
 */
public final class ApiClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final String HINT = "is `ablate node --role coordinator` running?";

    private final CoordinatorAddress address;
    private final ApiToken token;
    private final Duration requestTimeout;
    private final HttpClient http;

    public ApiClient(CoordinatorAddress address, ApiToken token, Duration requestTimeout) {
        this(address, token, requestTimeout, java.util.Optional.empty());
    }

    /** {@code tls}: the context an HTTPS coordinator's certificate is checked with (the cluster's CA); else the JDK's. */
    public ApiClient(CoordinatorAddress address, ApiToken token, Duration requestTimeout, java.util.Optional<javax.net.ssl.SSLContext> tls) {
        this.address = address;
        this.token = token;
        this.requestTimeout = requestTimeout;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER);
        tls.ifPresent(b::sslContext);
        this.http = b.build();
    }

    /** An answer: the body as the coordinator sent it and the same parsed. */
    public record Reply(String body, JsonNode json) {}

    public CoordinatorAddress address() {
        return address;
    }

    public Reply get(String path) throws ApiException {
        return send(request(path, "").GET().build());
    }

    /** GET /api/runs/{run}{action}, e.g. ("r1", "/logs?from=3"). */
    public Reply getRun(String run, String rest) throws ApiException {
        return get(runPath(run) + rest);
    }

    /** POST /api/runs/{run}/{action}. */
    public Reply postRun(String run, String action) throws ApiException {
        return post(runPath(run) + "/" + action, "{}");
    }

    public Reply post(String path, String json) throws ApiException {
        return send(request(path, "application/json").POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build());
    }

    /** GET without waiting: for the console's completion, which can do without an answer. */
    public CompletableFuture<JsonNode> getLater(String path) {
        HttpRequest request;
        try {
            request = request(path, "").GET().build();
        } catch (ApiException e) {
            return CompletableFuture.failedFuture(e);
        }
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .thenApply(r -> r.statusCode() == 200 ? parseQuietly(r.body()) : Json.MAPPER.missingNode());
    }

    /** The path of a run, refusing names that are no run's name (and could reach another route). */
    private static String runPath(String run) throws ApiException {
        if (!ApiRoutes.RUN.matcher(run).matches()) {
            throw ApiException.badInput("no run named '" + run + "' (run names are letters, digits, '.', '_' and '-'; a study's runs STUDY/RUN)");
        }
        return "/api/runs/" + run;
    }

    private HttpRequest.Builder request(String path, String contentType) throws ApiException {
        int q = path.indexOf('?');
        URI uri;
        try {
            uri = new URI(address.https() ? "https" : "http", null, address.host().replaceAll("^\\[|]$", ""), address.port(),
                    q < 0 ? path : path.substring(0, q), q < 0 ? null : path.substring(q + 1), null);
        } catch (URISyntaxException e) {
            throw ApiException.badInput("not a coordinator address: " + address + " (" + e.getReason() + ")");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout)
                .header("Authorization", "Bearer " + token.secret().reveal()).header("Accept", "application/json");
        return contentType.isEmpty() ? b : b.header("Content-Type", contentType);
    }

    private Reply send(HttpRequest request) throws ApiException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpConnectTimeoutException e) {
            throw ApiException.unavailable("cannot reach the coordinator at " + address + ": no answer within "
                    + span(CONNECT_TIMEOUT) + "; " + HINT);
        } catch (HttpTimeoutException e) {
            throw ApiException.unavailable("the coordinator at " + address + " did not answer within " + span(requestTimeout));
        } catch (ConnectException e) {
            String why = e.getCause() instanceof UnresolvedAddressException ? "unknown host " + address.host() : "connection refused";
            throw ApiException.unavailable("cannot reach the coordinator at " + address + ": " + why + "; " + HINT);
        } catch (IOException e) {
            throw ApiException.unavailable("lost the connection to the coordinator at " + address + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.failed("interrupted");
        }
        return answer(response);
    }

    private Reply answer(HttpResponse<String> response) throws ApiException {
        int status = response.statusCode();
        String body = response.body();
        if (status == 401) {
            throw ApiException.failed("the coordinator refused the token (" + token.source() + ")");
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            json = Json.MAPPER.missingNode();
        }
        if (status / 100 == 2) {
            if (json.isMissingNode() || !(json.isObject() || json.isArray())) {
                throw ApiException.failed("the coordinator at " + address + " answered " + request(response) + " with something that is not JSON");
            }
            return new Reply(body.strip(), json);
        }
        String error = json.path("error").asText("");
        if (error.isEmpty()) {
            error = "HTTP " + status + " for " + request(response) + (body.isBlank() ? "" : ": " + body.strip().lines().findFirst().orElse(""));
        }
        if (status == 503 || status == 502 || status == 504) {
            throw ApiException.unavailable(error);
        }
        throw status == 400 || status == 404 ? ApiException.badInput(error) : ApiException.failed(error);
    }

    /** Closes the connections; requests still in flight (a completion's refresh) finish first. */
    @Override
    public void close() {
        http.close();
    }

    private static String span(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String request(HttpResponse<?> response) {
        return response.request().method() + " " + response.uri().getRawPath();
    }

    private static JsonNode parseQuietly(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            return Json.MAPPER.missingNode();
        }
    }
}
