package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ablate status RUN}: one run in full. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show one run: state, progress, losses, placement, folder.")
public final class StatusCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run's name (ablate runs lists them).")
    String run;

    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        ApiClient.Reply reply = api.getRun(run, "");
        if (json()) {
            out.println(reply.body());
        } else {
            print(reply.json(), out, env());
        }
        return Cli.OK;
    }

    /** A run object as "key: value" lines; submit and the run actions print the same. */
    static void print(JsonNode r, PrintWriter out, ClientEnvironment env) {
        List<String> nodes = new ArrayList<>();
        r.path("nodes").forEach(n -> nodes.add(Figures.node(n.asText())));
        Table table = new Table("run", r.path("name").asText());
        table.row("state", Figures.text(r.path("state")));
        table.row("step", Figures.progress(r) + " (committed checkpoint: " + r.path("committed_step").asLong() + ")");
        table.row("loss", Figures.loss(r.path("loss")) + ", val " + Figures.loss(r.path("val_loss")));
        table.row("throughput", Figures.tokensPerSecond(r.path("tokens_per_s")) + " tok/s, mfu " + Figures.mfu(r.path("mfu")));
        table.row("trainers", r.path("trainers").asInt() + (nodes.isEmpty() ? "" : " (" + String.join(", ", nodes) + ")"));
        List<String> slow = new ArrayList<>();
        r.path("stragglers").fields().forEachRemaining(e -> slow.add(Figures.node(e.getKey())
                + String.format(java.util.Locale.ROOT, " %.2fx slower", e.getValue().asDouble())));
        if (!slow.isEmpty()) {
            table.row("stragglers", String.join(", ", slow));
        }
        table.row("restarts", r.path("restarts").asText());
        table.row("run dir", Figures.text(r.path("run_dir")));
        table.row("submitted", Figures.text(r.path("submitted")));
        table.row("updated", Figures.text(r.path("updated")) + " (" + Figures.age(r.path("updated"), env.clock().instant()) + ")");
        if (!r.path("error").asText("").isEmpty()) {
            table.row("error", r.path("error").asText());
        }
        table.print(out);
    }
}
