package ablate.cluster.coordinator;

import ablate.cluster.protocol.ClusterMessage;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What the coordinator shows of runs and nodes: the API's JSON and the console's tables are made from these. */
public final class Views {
    private Views() {}

    /**
     * A run as `ablate status` shows it.
     *
     * @param trainers trainers of the current placement (0 when not running)
     * @param live whether the figures come from the last step reported (true) or from the journal
     */
    public record RunView(String name, RunState state, long step, long steps, int trainers, List<String> nodes, String runDir,
            double loss, double valLoss, double tokensPerSecond, double mfu, long committedStep, int restarts, String error,
            Instant submitted, Instant updated, boolean live, Map<String, Double> stragglers) implements ClusterMessage {
        public RunView {
            nodes = List.copyOf(nodes);
            stragglers = Map.copyOf(stragglers);
        }
    }

    /** A trainer (or other) node as `ablate nodes` shows it. */
    public record NodeView(String node, String role, String host, long pid, String device, String state, String group, long step,
            Instant lastHeartbeat, boolean reachable) implements ClusterMessage {}

    /** The answer about one run: found (and, for a request, done), or refused with why. */
    public sealed interface RunAnswer extends ClusterMessage permits RunFound, Refused, RunsFound {}

    public record RunFound(RunView run) implements RunAnswer {}

    /** A refusal the console prints as it is; {@code status} is the HTTP status it maps to. */
    public record Refused(int status, String error) implements RunAnswer {}

    /** Several runs: every run (ListRuns), or those a study submit created. */
    public record RunsFound(List<RunView> runs) implements RunAnswer {
        public RunsFound {
            runs = List.copyOf(runs);
        }
    }

    public record NodesFound(List<NodeView> nodes) implements ClusterMessage {
        public NodesFound {
            nodes = List.copyOf(nodes);
        }
    }
}
