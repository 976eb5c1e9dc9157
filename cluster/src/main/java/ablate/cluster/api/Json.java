package ablate.cluster.api;

import ablate.cluster.coordinator.Views.NodeView;
import ablate.cluster.coordinator.Views.RunView;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * The API's JSON: snake_case names, states in lower case, NaN (not measured) as null, times as
 * ISO-8601. Scripts rely on {@code name}, {@code state}, {@code step}, {@code trainers} and
 * {@code run_dir} of a run.
 */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static ObjectNode run(RunView r) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("name", r.name());
        n.put("state", r.state().name().toLowerCase(Locale.ROOT));
        n.put("step", r.step());
        n.put("steps", r.steps());
        n.put("trainers", r.trainers());
        ArrayNode nodes = n.putArray("nodes");
        r.nodes().forEach(nodes::add);
        n.put("run_dir", r.runDir());
        number(n, "loss", r.loss());
        number(n, "val_loss", r.valLoss());
        number(n, "tokens_per_s", r.tokensPerSecond());
        number(n, "mfu", r.mfu());
        n.put("committed_step", r.committedStep());
        n.put("restarts", r.restarts());
        n.put("error", r.error());
        ObjectNode slow = n.putObject("stragglers");
        r.stragglers().forEach(slow::put);
        n.put("submitted", r.submitted().toString());
        n.put("updated", r.updated().toString());
        return n;
    }

    public static ArrayNode runs(List<RunView> runs) {
        ArrayNode a = MAPPER.createArrayNode();
        runs.forEach(r -> a.add(run(r)));
        return a;
    }

    public static ObjectNode node(NodeView v) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("node", v.node());
        n.put("role", v.role());
        n.put("host", v.host());
        n.put("pid", v.pid());
        n.put("device", v.device());
        n.put("state", v.state());
        n.put("group", v.group());
        n.put("step", v.step());
        n.put("last_heartbeat", v.lastHeartbeat().toString());
        n.put("reachable", v.reachable());
        return n;
    }

    public static ArrayNode nodes(List<NodeView> nodes) {
        ArrayNode a = MAPPER.createArrayNode();
        nodes.forEach(v -> a.add(node(v)));
        return a;
    }

    public static ObjectNode error(String message) {
        return MAPPER.createObjectNode().put("error", message);
    }

    private static void number(ObjectNode n, String key, double value) {
        if (Double.isFinite(value)) {
            n.put(key, value);
        } else {
            n.putNull(key);
        }
    }
}
