package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ablate logs RUN [-f]}: a run's metrics (RUN_DIR/metrics.jsonl, through the API) as `ablate
 * train` prints its progress. With -f it polls until the run stops: exit 0 when it finished, 1 when
 * it failed, was cancelled or was paused. While following, a coordinator that is away for a while
 * (restarting, moving to another node) is waited for, up to a minute.
 */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"Print a run's metrics, one line per step: step/steps, loss, val, tok/s, mfu.",
                "With -f, keep printing until the run finishes (exit 0), fails, is cancelled or paused (exit 1)."})
public final class LogsCommand extends ClientCommand {
    private static final long PATIENCE_SECONDS = 60;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run's name (ablate runs lists them).")
    String run;

    @Option(names = {"-f", "--follow"}, description = "Keep polling (every second) until the run stops.")
    boolean follow;

    @Option(names = "--from", paramLabel = "N", description = "Start at line N of the run's metrics (0 = the first step). Default: ${DEFAULT-VALUE}.")
    long from = 0;

    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        if (from < 0) {
            throw ApiException.badInput("--from " + from + ": give a line number, 0 or more");
        }
        long next = from;
        long misses = 0;
        long patience = Math.max(1, PATIENCE_SECONDS * 1000 / env().pollInterval().toMillis());
        while (true) {
            ApiClient.Reply reply;
            try {
                reply = api.getRun(run, "/logs?from=" + next);
                misses = 0;
            } catch (ApiException e) {
                if (!follow || !e.retryable() || ++misses > patience) {
                    throw e;
                }
                if (misses == 1) {
                    spec.commandLine().getErr().println("waiting for the coordinator: " + e.getMessage());
                    spec.commandLine().getErr().flush();
                }
                pause();
                continue;
            }
            JsonNode runNow = reply.json().path("run");
            for (JsonNode line : reply.json().path("lines")) {
                out.println(json() ? line.toString() : progress(line, runNow.path("steps").asLong()));
            }
            out.flush();
            next = Math.max(next, reply.json().path("next").asLong(next));
            if (!follow) {
                if (!json() && reply.json().path("lines").isEmpty()) {
                    out.println("no steps logged" + (from > 0 ? " from line " + from : "") + "; " + run + " is " + runNow.path("state").asText());
                }
                return Cli.OK;
            }
            String state = runNow.path("state").asText();
            switch (state) {
                case "finished" -> {
                    if (!json()) {
                        out.println(run + " finished: " + Figures.progress(runNow) + " steps, loss " + Figures.loss(runNow.path("loss"))
                                + ", val " + Figures.loss(runNow.path("val_loss")) + ", folder " + Figures.text(runNow.path("run_dir")));
                    }
                    return Cli.OK;
                }
                case "failed" -> throw ApiException.failed(run + " failed at step " + Figures.progress(runNow) + ": "
                        + runNow.path("error").asText("(no reason given)"));
                case "cancelled" -> throw ApiException.failed(run + " was cancelled at step " + Figures.progress(runNow));
                case "paused" -> throw ApiException.failed(run + " is paused at step " + Figures.progress(runNow)
                        + " (committed checkpoint: step " + runNow.path("committed_step").asLong() + "); `ablate resume " + run + "` continues it");
                default -> pause();
            }
        }
    }

    /** A metrics line as the local training loop prints it: "step 12/30 | loss 3.1234 | val 3.2000 | 1,234 tok/s | mfu 1.2%". */
    static String progress(JsonNode m, long steps) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "step %d/%d | loss %s", m.path("step").asLong(), steps, Figures.loss(m.path("loss"))));
        if (m.path("val_loss").isNumber()) {
            s.append(" | val ").append(Figures.loss(m.path("val_loss")));
        }
        s.append(" | ").append(Figures.tokensPerSecond(m.path("tokens_per_s"))).append(" tok/s | mfu ").append(Figures.mfu(m.path("mfu")));
        if (m.path("skipped").asBoolean(false)) {
            s.append(" | skipped (overflow, loss scale ").append(m.path("loss_scale").asText("-")).append(')');
        }
        return s.toString();
    }

    private void pause() throws ApiException {
        try {
            Thread.sleep(env().pollInterval());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.failed("interrupted");
        }
    }
}
