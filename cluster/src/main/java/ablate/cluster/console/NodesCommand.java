package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code ablate nodes}: the cluster's members as the coordinator sees them. */
@Command(name = "nodes", mixinStandardHelpOptions = true, description = "List the nodes: role, device, state, run group, last heartbeat.")
public final class NodesCommand extends ClientCommand {
    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        ApiClient.Reply reply = api.get("/api/nodes");
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        if (reply.json().isEmpty()) {
            out.println("no nodes have joined");
            return Cli.OK;
        }
        Table table = new Table("NODE", "ROLE", "DEVICE", "STATE", "GROUP", "STEP", "HEARTBEAT-AGE");
        for (JsonNode n : reply.json()) {
            String state = Figures.text(n.path("state")) + (n.path("reachable").asBoolean(true) ? "" : " (unreachable)");
            table.row(Figures.node(Figures.text(n.path("node"))), Figures.text(n.path("role")), Figures.text(n.path("device")), state,
                    Figures.text(n.path("group")), n.path("step").asText(), Figures.age(n.path("last_heartbeat"), env().clock().instant()));
        }
        table.print(out);
        return Cli.OK;
    }
}
