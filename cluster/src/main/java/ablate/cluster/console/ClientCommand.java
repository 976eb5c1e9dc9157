package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that asks the coordinator's API: `ablate runs`, `ablate submit`, ... and the same typed in
 * `ablate console`. It writes to the command line's out and err (System.out and System.err for a
 * one-shot command, the terminal in the console) and turns every failure into one "error: ..." line
 * and an exit code: 0 ok, 1 failed, 2 bad input.
 */
public abstract class ClientCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ClientCommand.class);

    @Mixin
    ClientOptions options = new ClientOptions();

    @Spec
    CommandSpec spec;

    private ClientEnvironment env = ClientEnvironment.system();

    /** Where the command runs; {@link ClientFactory} sets it for tests and for the console. */
    final void environment(ClientEnvironment environment) {
        this.env = environment;
    }

    protected final ClientEnvironment env() {
        return env;
    }

    protected final boolean json() {
        return options.json();
    }

    /** Runs the command once it has a client; returns the exit code. */
    protected abstract int execute(ApiClient api, PrintWriter out) throws ApiException;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (ApiClient api = options.client(env)) {
            return execute(api, out);
        } catch (ApiException e) {
            out.flush();
            err.println("error: " + e.getMessage());
            return e.exitCode();
        } catch (IllegalArgumentException e) {
            out.flush();
            err.println("error: " + e.getMessage());
            return Cli.BAD_INPUT;
        } catch (RuntimeException e) {
            log.debug("unexpected failure", e);
            out.flush();
            err.println("error: " + e);
            return Cli.FAILED;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
