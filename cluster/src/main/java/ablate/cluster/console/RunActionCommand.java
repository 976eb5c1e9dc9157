package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ablate pause|resume|cancel|checkpoint RUN}: asks the coordinator to act on a run and prints
 * the run as it stands after the request (a pause, for one, completes at the next committed
 * checkpoint, so the run may still show "running"). A request the run's state does not allow fails
 * with the coordinator's reason.
 */
public abstract class RunActionCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run's name (ablate runs lists them).")
    String run;

    private final String action;

    private RunActionCommand(String action) {
        this.action = action;
    }

    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        ApiClient.Reply reply = api.postRun(run, action);
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        JsonNode r = reply.json();
        out.printf("%s requested: %s is %s at step %s (committed checkpoint: step %d)%n", action, r.path("name").asText(run),
                r.path("state").asText(), Figures.progress(r), r.path("committed_step").asLong());
        return Cli.OK;
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Pause a run at its next committed checkpoint; `resume` continues it from there.")
    public static final class Pause extends RunActionCommand {
        public Pause() {
            super("pause");
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Queue a paused (or failed, or cancelled) run again from its last committed checkpoint.")
    public static final class Resume extends RunActionCommand {
        public Resume() {
            super("resume");
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Stop a run for good; its committed checkpoints stay.")
    public static final class Cancel extends RunActionCommand {
        public Cancel() {
            super("cancel");
        }
    }

    @Command(name = "checkpoint", mixinStandardHelpOptions = true, description = "Have a running run write and commit a checkpoint now.")
    public static final class Checkpoint extends RunActionCommand {
        public Checkpoint() {
            super("checkpoint");
        }
    }
}
