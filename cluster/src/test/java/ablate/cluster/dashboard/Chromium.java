package ablate.cluster.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real headless Chromium driven over its DevTools protocol (a WebSocket, JSON messages): navigate,
 * evaluate JavaScript in the page, click by script, take screenshots, and collect every error the
 * page's console shows (console.error, uncaught exceptions, failed requests), as a user would see them
 * in the browser's console.
 */
final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ANSWER = Duration.ofSeconds(30);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

    private Chromium(Process process, WebSocket.Builder builder, URI page) throws Exception {
        this.process = process;
        this.socket = builder.buildAsync(page, new Listener()).get(30, TimeUnit.SECONDS);
    }

    /** The browser's binary, if this machine has one (Debian's chromium). */
    static Optional<String> binary() {
        return List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome").stream()
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst();
    }

    /** Starts a browser with a fresh profile under {@code dir}, its window {@code width} x {@code height}. */
    static Chromium start(Path dir, int width, int height) throws Exception {
        Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
        Process p = new ProcessBuilder(binary().orElseThrow(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1", "--user-data-dir=" + profile, "--window-size=" + width + "," + height, "about:blank")
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.isRegularFile(portFile) || Files.readAllLines(portFile).isEmpty()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("chromium did not open its DevTools port within 60 s (exit "
                        + (p.isAlive() ? "-" : p.exitValue()) + "); see " + dir.resolve("chromium.log"));
            }
            Thread.sleep(100);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).getFirst().trim());
        HttpClient http = HttpClient.newHttpClient();
        JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        for (JsonNode t : targets) {
            if (t.path("type").asText().equals("page")) {
                Chromium browser = new Chromium(p, http.newWebSocketBuilder(), URI.create(t.path("webSocketDebuggerUrl").asText()));
                browser.send("Runtime.enable", JSON.createObjectNode());
                browser.send("Log.enable", JSON.createObjectNode());
                browser.send("Page.enable", JSON.createObjectNode());
                return browser;
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("chromium has no page target: " + targets);
    }

    JsonNode send(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", params);
        synchronized (socket) {
            socket.sendText(message.toString(), true).get(10, TimeUnit.SECONDS);
        }
        JsonNode reply = answer.get(ANSWER.toSeconds(), TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IllegalStateException(method + " failed: " + reply.get("error"));
        }
        return reply.path("result");
    }

    /** Opens {@code url} and waits until the document has loaded. */
    void navigate(String url) throws Exception {
        send("Page.navigate", JSON.createObjectNode().put("url", url));
        await("document.readyState === 'complete'", Duration.ofSeconds(30));
    }

    /** The value of a JavaScript expression in the page (a promise is awaited). */
    JsonNode eval(String expression) throws Exception {
        JsonNode r = send("Runtime.evaluate", JSON.createObjectNode().put("expression", expression).put("returnByValue", true)
                .put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException(expression + " threw: " + r.get("exceptionDetails").path("exception").path("description").asText(
                    r.get("exceptionDetails").toString()));
        }
        return r.path("result").path("value");
    }

    /** Polls {@code expression} until it is truthy; fails with {@code what} after {@code within}. */
    JsonNode await(String expression, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            JsonNode value = eval(expression);
            if (value.asBoolean() || (value.isNumber() && value.asDouble() != 0) || (value.isTextual() && !value.asText().isEmpty())) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("within " + within + " the page never had: " + expression + " (last: " + value + "); the page read: "
                        + eval("document.body.innerText.slice(0, 600)").asText() + "; console errors: " + errors());
            }
            Thread.sleep(200);
        }
    }

    /** A PNG of the whole page (beyond the window's height), as a user scrolling it would see it. */
    void screenshot(Path file) throws Exception {
        JsonNode metrics = send("Page.getLayoutMetrics", JSON.createObjectNode());
        double width = metrics.path("cssContentSize").path("width").asDouble(1280);
        double height = metrics.path("cssContentSize").path("height").asDouble(900);
        ObjectNode params = JSON.createObjectNode().put("format", "png").put("captureBeyondViewport", true);
        params.putObject("clip").put("x", 0).put("y", 0).put("width", width).put("height", height).put("scale", 1);
        Files.write(file, Base64.getDecoder().decode(send("Page.captureScreenshot", params).path("data").asText()));
    }

    /** Every error the page's console showed so far. */
    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the browser is killed next anyway
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    dispatch(JSON.readTree(text.toString()));
                } catch (Exception e) {
                    errors.add("unreadable DevTools message: " + e);
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        private void dispatch(JsonNode message) {
            if (message.has("id")) {
                CompletableFuture<JsonNode> answer = pending.remove(message.get("id").asInt());
                if (answer != null) {
                    answer.complete(message);
                }
                return;
            }
            JsonNode params = message.path("params");
            switch (message.path("method").asText()) {
                case "Runtime.consoleAPICalled" -> {
                    if (params.path("type").asText().equals("error")) {
                        List<String> args = new ArrayList<>();
                        params.path("args").forEach(a -> args.add(a.path("value").asText(a.path("description").asText())));
                        errors.add("console.error: " + String.join(" ", args));
                    }
                }
                case "Runtime.exceptionThrown" -> errors.add("uncaught: " + params.path("exceptionDetails").path("exception")
                        .path("description").asText(params.path("exceptionDetails").path("text").asText()));
                case "Log.entryAdded" -> {
                    if (params.path("entry").path("level").asText().equals("error")) {
                        errors.add(params.path("entry").path("source").asText() + ": " + params.path("entry").path("text").asText()
                                + " " + params.path("entry").path("url").asText());
                    }
                }
                default -> { }
            }
        }
    }
}
