package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ablate console}: the client commands at an interactive prompt, all against one coordinator. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"An interactive console for the cluster: submit, runs, status, logs, pause, resume, cancel, checkpoint, nodes.",
                "History in ~/.ablate_history, Tab completes commands, options and run names; `help` lists the commands, "
                        + "exit, quit or Ctrl-D leave. Reads piped input line by line too."})
public final class ConsoleCommand implements Callable<Integer> {
    @Option(names = "--coordinator", paramLabel = "HOST:PORT",
            description = "The coordinator's HTTP API, for every command typed (default: $ABLATE_COORDINATOR).")
    String coordinator = "";

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "A file holding the API token (default: $ABLATE_TOKEN_FILE, else the token in $ABLATE_TOKEN).")
    Path tokenFile;

    @Spec
    CommandSpec spec;

    private ClientEnvironment env = ClientEnvironment.system();

    /** Where the console runs; {@link ClientFactory} sets it for tests. */
    void environment(ClientEnvironment environment) {
        this.env = environment;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        ClientEnvironment lines = env;
        if (!coordinator.isBlank()) {
            lines = lines.with(ClientEnvironment.COORDINATOR, coordinator);
        }
        if (tokenFile != null) {
            lines = lines.with(ClientEnvironment.TOKEN_FILE, tokenFile.toString());
        }
        ApiClient api;
        try {
            api = new ClientOptions().client(lines); // a missing address or token fails here, not at every line
        } catch (ApiException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return e.exitCode();
        }
        try (api; Terminal terminal = TerminalBuilder.builder().name("ablate").system(true).dumb(true).build()) {
            boolean interactive = System.console() != null && System.console().isTerminal();
            if (interactive) {
                terminal.writer().println("ablate console: coordinator " + api.address() + "; `help` lists the commands, Ctrl-D leaves");
            }
            return new Console(terminal, lines, err, api, !interactive).run();
        } catch (IOException e) {
            err.println("error: cannot open the terminal: " + e.getMessage());
            err.flush();
            return Cli.FAILED;
        }
    }
}
