package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.Parser;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import picocli.CommandLine;

/**
 * The interactive console: reads lines at "ablate> " (history in ~/.ablate_history, tab completion
 * of commands, options and run names) and runs each as the one-shot command of the same name would.
 * A failing command prints its error and the console goes on; exit, quit or Ctrl-D leave, Ctrl-C
 * clears the line or stops the command running (a `logs -f`). On a dumb terminal (input piped in) it
 * reads line by line all the same.
 */
public final class Console {
    static final String PROMPT = "ablate> ";
    static final String HISTORY = ".ablate_history";

    private final Terminal terminal;
    private final ClientEnvironment env;
    private final PrintWriter err;
    private final ConsoleCompleter completer;
    private final LineReader reader;
    private final boolean echo;

    /**
     * A console on {@code terminal} for the coordinator {@code api} talks to; {@code env} is what every
     * line runs in. With {@code echo} (input that is not typed at a terminal) each line read is written
     * after its prompt, so that the output reads as a transcript.
     */
    public Console(Terminal terminal, ClientEnvironment env, PrintWriter err, ApiClient api, boolean echo) {
        this.terminal = terminal;
        this.echo = echo;
        this.env = env;
        this.err = err;
        this.completer = new ConsoleCompleter(ConsoleCommands.commandLine(env, terminal.writer(), err), api);
        this.reader = LineReaderBuilder.builder().terminal(terminal).appName("ablate").completer(completer)
                .parser(new DefaultParser()).variable(LineReader.HISTORY_FILE, historyFile(env))
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true).build();
    }

    static Path historyFile(ClientEnvironment env) {
        return env.home().resolve(HISTORY);
    }

    /** Reads and runs lines until exit, quit or the end of the input; returns the exit code (0). */
    public int run() {
        Thread console = Thread.currentThread();
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, signal -> console.interrupt());
        completer.refresh();
        try {
            while (true) {
                String line;
                try {
                    line = reader.readLine(PROMPT);
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    if (echo) {
                        terminal.writer().println();
                    }
                    return Cli.OK;
                }
                if (echo) {
                    terminal.writer().println(line);
                    terminal.writer().flush();
                }
                if (isExit(line)) {
                    return Cli.OK;
                }
                execute(words(line));
                Thread.interrupted(); // a Ctrl-C that stopped the command must not stop the next one
                completer.refresh();
            }
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
            saveHistory();
        }
    }

    private static boolean isExit(String line) {
        String word = line.strip();
        return word.equals("exit") || word.equals("quit");
    }

    /** Runs one line's words; returns its exit code. */
    int execute(List<String> words) {
        PrintWriter out = terminal.writer();
        if (words.isEmpty()) {
            return Cli.OK;
        }
        CommandLine commands = ConsoleCommands.commandLine(env, out, err);
        String first = words.getFirst();
        try {
            if (first.equals("help")) {
                return help(commands, words, out);
            }
            if (!commands.getSubcommands().containsKey(first)) {
                err.println("error: unknown command '" + first + "'; `help` lists the commands");
                return Cli.BAD_INPUT;
            }
            return commands.execute(words.toArray(String[]::new));
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int help(CommandLine commands, List<String> words, PrintWriter out) {
        if (words.size() == 1) {
            ConsoleCommands.help(commands, out);
            return Cli.OK;
        }
        CommandLine sub = commands.getSubcommands().get(words.get(1));
        if (sub == null) {
            out.flush();
            err.println("error: no command '" + words.get(1) + "'; `help` lists the commands");
            return Cli.BAD_INPUT;
        }
        sub.usage(out);
        return Cli.OK;
    }

    /** The line's words as the console's parser splits them: quotes group and are removed, a backslash escapes. */
    static List<String> words(String line) {
        return line.isBlank() ? List.of() : new DefaultParser().parse(line, line.length(), Parser.ParseContext.ACCEPT_LINE).words();
    }

    private void saveHistory() {
        try {
            reader.getHistory().save();
        } catch (IOException e) {
            err.println("warning: could not save the history to " + historyFile(env) + ": " + e.getMessage());
            err.flush();
        }
    }
}
