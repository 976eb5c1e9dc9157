package ablate.cluster.console;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * What a console line can run: the one-shot client commands (the same classes, so options and output
 * are the same), parsed by picocli afresh for every line, plus the console's own help and exit.
 */
@Command(name = "ablate", subcommands = {SubmitCommand.class, RunsCommand.class, StatusCommand.class, LogsCommand.class,
    RunActionCommand.Pause.class, RunActionCommand.Resume.class, RunActionCommand.Cancel.class, RunActionCommand.Checkpoint.class,
    NodesCommand.class, StudyCommand.class, ResultsCommand.class})
final class ConsoleCommands {
    /** The console's own commands, with their help lines. */
    static final Map<String, String> BUILT_IN = Map.of(
            "help", "This list; `help CMD` (or `CMD --help`) shows one command's options.",
            "exit", "Leave the console (also quit, or Ctrl-D).",
            "quit", "Leave the console.");

    private ConsoleCommands() {}

    /** A fresh command line for one console line, writing to {@code out} and {@code err}. */
    static CommandLine commandLine(ClientEnvironment env, PrintWriter out, PrintWriter err) {
        CommandLine line = new CommandLine(new ConsoleCommands(), new ClientFactory(env));
        line.setOut(out).setErr(err);
        line.setParameterExceptionHandler((e, args) -> {
            String command = e.getCommandLine().getCommandName();
            err.println("error: " + e.getMessage() + " (`" + command + " --help` lists its options)");
            err.flush();
            return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
        return line;
    }

    /** The client commands' names in the order `help` lists them. */
    static List<String> names() {
        return List.copyOf(new CommandLine(new ConsoleCommands()).getSubcommands().keySet());
    }

    /** `help`: one line per command. */
    static void help(CommandLine commands, PrintWriter out) {
        Table table = new Table("command", "what it does");
        commands.getSubcommands().forEach((name, sub) -> table.row(name + " " + synopsis(sub), firstLine(sub)));
        table.row("help [CMD]", BUILT_IN.get("help"));
        table.row("exit, quit", BUILT_IN.get("exit"));
        table.print(out);
        out.println("Every command also runs one-shot as `ablate CMD ...`; --json prints the API's JSON.");
    }

    private static String synopsis(CommandLine sub) {
        StringBuilder s = new StringBuilder();
        sub.getCommandSpec().positionalParameters().forEach(p -> s.append(p.paramLabel()).append(' '));
        return s.toString().strip();
    }

    private static String firstLine(CommandLine sub) {
        String[] description = sub.getCommandSpec().usageMessage().description();
        return description.length == 0 ? "" : description[0];
    }
}
