package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code ablate runs}: every run the coordinator knows, newest state first as the coordinator orders them. */
@Command(name = "runs", mixinStandardHelpOptions = true, description = "List the runs: state, progress, losses, throughput.")
public final class RunsCommand extends ClientCommand {
    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        ApiClient.Reply reply = api.get("/api/runs");
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        if (reply.json().isEmpty()) {
            out.println("no runs yet (ablate submit starts one)");
            return Cli.OK;
        }
        Table table = new Table("NAME", "STATE", "STEP/STEPS", "LOSS", "VAL", "TOK/S", "MFU", "TRAINERS", "UPDATED");
        for (JsonNode r : reply.json()) {
            table.row(r.path("name").asText(), r.path("state").asText(), Figures.progress(r), Figures.loss(r.path("loss")),
                    Figures.loss(r.path("val_loss")), Figures.tokensPerSecond(r.path("tokens_per_s")), Figures.mfu(r.path("mfu")),
                    r.path("trainers").asText(), Figures.age(r.path("updated"), env().clock().instant()));
        }
        table.print(out);
        return Cli.OK;
    }
}
