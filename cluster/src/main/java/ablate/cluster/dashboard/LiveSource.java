package ablate.cluster.dashboard;

import ablate.cluster.api.Json;
import ablate.cluster.coordinator.Coordinator;
import ablate.cluster.coordinator.Views.NodesFound;
import ablate.cluster.coordinator.Views.RunsFound;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** Snapshots asked of the coordinator singleton, each ask within {@code timeout}. */
public record LiveSource(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator, Duration timeout) implements Snapshot.Source {

    @Override
    public CompletionStage<Snapshot> take() {
        CompletionStage<RunsFound> runs = AskPattern.ask(coordinator, Coordinator.ListRuns::new, timeout, system.scheduler());
        CompletionStage<NodesFound> nodes = AskPattern.ask(coordinator, Coordinator.ListNodes::new, timeout, system.scheduler());
        return runs.thenCombine(nodes, (r, n) -> new Snapshot(Json.runs(r.runs()), Json.nodes(n.nodes()), true));
    }

    @Override
    public boolean live() {
        return true;
    }
}
