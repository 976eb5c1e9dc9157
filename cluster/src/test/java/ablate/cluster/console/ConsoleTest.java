package ablate.cluster.console;

import static ablate.cluster.console.StubCoordinator.Answer.ok;
import static ablate.cluster.console.StubCoordinator.TOKEN;
import static ablate.cluster.console.StubCoordinator.run;
import static org.assertj.core.api.Assertions.assertThat;

import ablate.cli.Ablate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ablate console` driven through piped input, in this JVM on a dumb terminal and as its own process. */
class ConsoleTest {
    @TempDir
    Path home;

    private StubCoordinator stub;

    @BeforeEach
    void start() throws Exception {
        stub = new StubCoordinator();
        stub.on("GET /api/runs", ok("[" + run("r1", "running", 12, 30) + "," + run("r2", "queued", 0, 30) + "]"));
        stub.on("GET /api/nodes", ok("[]"));
        stub.on("GET /api/runs/r1", ok(run("r1", "running", 12, 30)));
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    private ClientEnvironment env() {
        return new ClientEnvironment(Map.of(ClientEnvironment.COORDINATOR, stub.address(), ClientEnvironment.TOKEN, TOKEN), home,
                Clock.fixed(Instant.parse("2025-01-01T12:00:00Z"), ZoneOffset.UTC), Duration.ofMillis(20), Duration.ofSeconds(5));
    }

    record Session(int exit, String out, String err) {}

    /** Runs a console over a dumb terminal that reads {@code input}. */
    private Session console(String input) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int exit;
        try (Terminal terminal = TerminalBuilder.builder().system(false).type(Terminal.TYPE_DUMB)
                .streams(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out).build()) {
            ClientEnvironment env = env();
            exit = new Console(terminal, env, new PrintWriter(err), new ClientOptions().client(env), true).run();
        }
        Session s = new Session(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        assertThat(s.out() + s.err()).as("the token is never printed").doesNotContain(TOKEN);
        return s;
    }

    @Test
    void pipedLinesRunOneByOneAndAnErrorDoesNotStopTheConsole() throws Exception {
        Session s = console("help\nruns\nbogus\nstatus\nstatus r1 --json\nexit\nnodes\n");

        assertThat(s.exit()).isZero();
        assertThat(s.out()).contains("submit", "status RUN", "logs RUN", "pause RUN", "checkpoint RUN", "help [CMD]", "exit, quit")
                .contains("NAME  STATE    STEP/STEPS  LOSS    VAL  TOK/S   MFU   TRAINERS  UPDATED")
                .contains("r1    running  12/30       3.2500  -    12,346  1.2%  2         5s ago")
                .contains(run("r1", "running", 12, 30))
                .contains(Console.PROMPT);
        assertThat(s.out().indexOf("STEP/STEPS")).isLessThan(s.out().indexOf("\"name\":\"r1\""));
        assertThat(s.out().lines()).as("a transcript: each line read after its prompt, then its output")
                .contains("ablate> runs", "NAME  STATE    STEP/STEPS  LOSS    VAL  TOK/S   MFU   TRAINERS  UPDATED", "ablate> bogus", "ablate> exit")
                .doesNotContain("ablate> nodes");
        assertThat(s.err()).isEqualTo("""
                error: unknown command 'bogus'; `help` lists the commands
                error: Missing required parameter: 'RUN' (`status --help` lists its options)
                """);
        assertThat(stub.requests("GET", "/api/nodes")).as("nothing runs after exit").isEmpty();
        assertThat(stub.requests("GET", "/api/runs/r1")).hasSize(1);
    }

    @Test
    void theHistoryIsKeptInTheHomeFolder() throws Exception {
        console("runs\nstatus r1\n");

        assertThat(Files.readString(home.resolve(".ablate_history"))).contains("runs").contains("status r1");
    }

    @Test
    void helpOfOneCommandIsItsUsage() throws Exception {
        Session s = console("help logs\nhelp nothing\nlogs --help\n");

        assertThat(s.out()).contains("Usage: ablate logs").contains("-f, --follow").contains("--coordinator=HOST:PORT");
        assertThat(s.err()).isEqualTo("error: no command 'nothing'; `help` lists the commands\n");
    }

    @Test
    void tabCompletesCommandsOptionsAndRunNames() throws Exception {
        ClientEnvironment env = env();
        ConsoleCompleter completer = new ConsoleCompleter(ConsoleCommands.commandLine(env, new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())), new ClientOptions().client(env));
        completer.refresh().get(5, TimeUnit.SECONDS);

        assertThat(completer.candidates(List.of(""), 0)).contains("submit", "runs", "status", "logs", "pause", "resume", "cancel",
                "checkpoint", "nodes", "help", "exit", "quit");
        assertThat(completer.candidates(List.of("status", ""), 1)).containsExactly("r1", "r2");
        assertThat(completer.candidates(List.of("logs", "r1", "-"), 2)).contains("-f", "--follow", "--from", "--json", "--coordinator");
        assertThat(completer.candidates(List.of("submit", "--config", ""), 2)).isEmpty();
        assertThat(completer.candidates(List.of("runs", ""), 1)).isEmpty();
        assertThat(completer.candidates(List.of("help", ""), 1)).contains("logs", "submit");
    }

    @Test
    void linesSplitLikeAShell() {
        assertThat(Console.words("submit --set 'train.lr = 3e-4' --name \"a b\"  ")).containsExactly("submit", "--set", "train.lr = 3e-4", "--name", "a b");
        assertThat(Console.words("   ")).isEmpty();
        assertThat(Console.words("runs ")).containsExactly("runs");
    }

    @Test
    void aConsoleProcessReadsPipedStdinUntilItEnds() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED", "-Duser.home=" + home, "-cp", System.getProperty("java.class.path"),
                Ablate.class.getName(), "console", "--coordinator", stub.address());
        builder.environment().remove(ClientEnvironment.COORDINATOR);
        builder.environment().remove(ClientEnvironment.TOKEN_FILE);
        builder.environment().put(ClientEnvironment.TOKEN, TOKEN);
        Process process = builder.start();
        try (var stdin = process.getOutputStream()) {
            stdin.write("help\nruns\nbogus\nnodes\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the console ends with its input").isTrue();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.exitValue()).as(err).isZero();
        assertThat(out).contains("status RUN").contains("r1    running  12/30").contains("no nodes have joined");
        assertThat(out.lines()).startsWith("ablate> help").contains("ablate> runs", "ablate> bogus", "ablate> nodes").endsWith("ablate> ");
        assertThat(err).isEqualTo("error: unknown command 'bogus'; `help` lists the commands\n");
        assertThat(out + err).doesNotContain(TOKEN);
        assertThat(Files.readString(home.resolve(".ablate_history"))).contains("bogus");
    }

    @Test
    void aConsoleWithoutACoordinatorStopsAtOnce() throws Exception {
        StringWriter err = new StringWriter();
        ClientEnvironment nowhere = new ClientEnvironment(Map.of(ClientEnvironment.TOKEN, TOKEN), home, Clock.systemUTC(), Duration.ofSeconds(1),
                Duration.ofSeconds(5));
        int exit = new picocli.CommandLine(new Ablate(), new ClientFactory(nowhere)).setErr(new PrintWriter(err)).execute("console");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("error: no coordinator: give --coordinator HOST:PORT or set ABLATE_COORDINATOR");
    }
}
