package ablate.cluster.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One `ablate node` in a JVM of its own, started with this JVM's java and class path: what `ablate
 * demo` starts (and the tests, which stop them for real with SIGTERM, SIGKILL, SIGSTOP). Its output
 * goes to a log file; the start waits for the line the node prints once it has joined.
 */
public final class NodeJvm implements AutoCloseable {
    private static final Pattern UP = Pattern.compile("node up: \\S+ at (\\S+)");
    private static final Pattern API = Pattern.compile("api: https?://(\\S+)");

    private final Process process;
    private final Path log;
    private final String address;
    private final String api;

    private NodeJvm(Process process, Path log, String address, String api) {
        this.process = process;
        this.log = log;
        this.address = address;
        this.api = api;
    }

    /**
     * Starts {@code ablate node ARGS}.
     *
     * @param jvmOptions options before the class path (-Xmx, ...)
     * @param env extra environment (ABLATE_TOKEN, ...)
     * @param await wait (up to {@code within}) until it has joined; otherwise its address is ""
     */
    public static NodeJvm start(Path log, List<String> jvmOptions, List<String> env, Duration within, boolean await, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "ablate.cli.Ablate", "node"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        for (String kv : env) {
            int eq = kv.indexOf('=');
            builder.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process process = builder.start();
        CompletableFuture<String[]> up = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("node-output-" + process.pid()).start(() -> copy(process, log, up));
        if (!await) {
            return new NodeJvm(process, log, "", "");
        }
        try {
            String[] found = up.get(within.toMillis(), TimeUnit.MILLISECONDS);
            return new NodeJvm(process, log, found[0], found[1]);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("node did not come up within " + within + " (" + e + "); its log " + log + ":\n"
                    + Files.readString(log), e);
        }
    }

    /** Copies the node's output to its log, completing {@code up} with (address, api) once it is up. */
    private static void copy(Process process, Path log, CompletableFuture<String[]> up) {
        String nodeAddress = "";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.write(line);
                out.newLine();
                out.flush();
                Matcher a = API.matcher(line);
                if (a.find()) {
                    up.complete(new String[] {nodeAddress, a.group(1)}); // a coordinator: its API line comes last
                }
                Matcher m = UP.matcher(line);
                if (m.find()) {
                    nodeAddress = m.group(1);
                    if (!line.contains("coordinator")) {
                        up.complete(new String[] {nodeAddress, ""});
                    }
                }
            }
        } catch (IOException e) {
            up.completeExceptionally(e);
        }
        try {
            up.completeExceptionally(new IllegalStateException("the node exited with " + process.waitFor()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The node's cluster address, host:port. */
    public String address() {
        return address;
    }

    /** The coordinator's API, host:port ("" for other roles). */
    public String api() {
        return api;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Sends a signal (TERM, KILL, STOP, CONT) with kill(1). */
    public void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    /** Waits for the process to exit; its exit code, or -1 when it did not within {@code within}. */
    public int awaitExit(Duration within) throws InterruptedException {
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGTERM (a graceful leave), then SIGKILL after 20 s. */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            signal("CONT");
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
