package ablate.cluster.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the coordinator's HTTP API on 127.0.0.1: canned answers per "METHOD /path" (a
 * sequence is answered in order, its last answer from then on), 401 without the right bearer token,
 * and every request recorded.
 */
final class StubCoordinator implements AutoCloseable {
    static final String TOKEN = "stub-token-7d1e9a40c2b65f38";

    record Request(String method, String path, String query, String authorization, String body) {}

    record Answer(int status, String body, long delayMillis) {
        static Answer ok(String body) {
            return new Answer(200, body, 0);
        }

        static Answer error(int status, String message) {
            return new Answer(status, "{\"error\": \"" + message + "\"}", 0);
        }
    }

    private final HttpServer server;
    private final Map<String, Deque<Answer>> answers = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    StubCoordinator() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers "METHOD /path" (query not included) with these answers in turn, then the last one for good. */
    StubCoordinator on(String route, Answer... sequence) {
        answers.put(route, new ArrayDeque<>(List.of(sequence)));
        return this;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String method, String path) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().equals(path)).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery(), auth == null ? "" : auth, body);
            requests.add(request);
            Answer answer;
            if (!("Bearer " + TOKEN).equals(request.authorization())) {
                answer = Answer.error(401, "wrong bearer token");
            } else {
                Deque<Answer> queue = answers.get(request.method() + " " + request.path());
                answer = queue == null ? Answer.error(404, "no route " + request.path())
                        : queue.size() > 1 ? queue.poll() : queue.peek();
            }
            if (answer.delayMillis() > 0) {
                Thread.sleep(answer.delayMillis());
            }
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            exchange.getResponseBody().write(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A run object as the API writes it. */
    static String run(String name, String state, long step, long steps) {
        String loss = step == 0 ? "null" : "3.25";
        return "{\"name\":\"" + name + "\",\"state\":\"" + state + "\",\"step\":" + step + ",\"steps\":" + steps
                + ",\"trainers\":2,\"nodes\":[\"n1\",\"n2\"],\"run_dir\":\"/runs/" + name + "\",\"loss\":" + loss
                + ",\"val_loss\":null,\"tokens_per_s\":" + (step == 0 ? "null" : "12345.6") + ",\"mfu\":" + (step == 0 ? "null" : "0.0123")
                + ",\"committed_step\":" + (step / 10 * 10) + ",\"restarts\":0,\"error\":\"" + (state.equals("failed") ? "out of memory" : "")
                + "\",\"submitted\":\"2025-01-01T11:59:00Z\",\"updated\":\"2025-01-01T11:59:55Z\"}";
    }

    /** A metrics line of metrics.jsonl. */
    static String metrics(long step, double loss, String valLoss) {
        return "{\"step\":" + step + ",\"loss\":" + loss + ",\"lr\":6.0E-4,\"grad_norm\":1.5,\"tokens\":" + step * 1024
                + ",\"consumed_samples\":" + step * 16 + ",\"tokens_per_s\":2048.4,\"flops_per_s\":1.0E9,\"mfu\":0.0456,\"step_s\":0.5"
                + (valLoss.isEmpty() ? "" : ",\"val_loss\":" + valLoss) + "}";
    }

    /** A /logs answer. */
    static String logs(long next, String run, String... lines) {
        return "{\"lines\":[" + String.join(",", lines) + "],\"next\":" + next + ",\"run\":" + run + "}";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
