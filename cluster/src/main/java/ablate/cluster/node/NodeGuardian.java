package ablate.cluster.node;

import ablate.cluster.api.ApiRoutes;
import ablate.cluster.api.ApiServer;
import ablate.cluster.coordinator.Coordinator;
import ablate.cluster.evaluation.EvaluatorNode;
import ablate.cluster.trainer.GroupTraining;
import ablate.cluster.trainer.TrainerNode;
import java.time.Clock;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The root actor of a node: starts what the node's roles need. A coordinator-role node hosts the
 * coordinator singleton when it is the oldest such node (and a proxy to it otherwise) and serves
 * the HTTP API; a trainer-role node runs one {@link TrainerNode} for its device, an evaluator-role
 * node one {@link EvaluatorNode}; both do their DJL work on the node's one {@link DjlThread}.
 */
public final class NodeGuardian {
    private NodeGuardian() {}

    /** What the guardian reports once up: for the command line to print and tests to read. */
    public record Started(String address, int httpPort) {}

    public static Behavior<Void> create(NodeSettings settings, String device, Consumer<Started> started) {
        return Behaviors.setup(ctx -> {
            TrainingSettings training = TrainingSettings.from(settings.userConfig());
            EvaluationSettings evaluation = EvaluationSettings.from(settings.userConfig());
            String address = Cluster.get(ctx.getSystem()).selfMember().address().toString();
            DjlThread djl = new DjlThread(); // every piece of DJL work of this node, whatever its roles
            Behavior<Void> running = Behaviors.receive(Void.class).onSignal(PostStop.class, stop -> {
                djl.close(); // after the children stopped: runs the closes they queued
                return Behaviors.same();
            }).build();
            if (settings.hasRole(Role.TRAINER)) {
                TrainerNode.Identity identity = new TrainerNode.Identity(address, settings.host(), ProcessHandle.current().pid(), device);
                GroupTraining.Place place = new GroupTraining.Place(settings.storage(), settings.dataDir(), device, settings.host(),
                        training.runLockTimeout());
                ctx.spawn(TrainerNode.create(identity, place, training, djl), "trainer");
            }
            if (settings.hasRole(Role.EVALUATOR)) {
                ctx.spawn(EvaluatorNode.create(settings.storage(), device, evaluation.threads(), djl), "evaluator");
            }
            if (!settings.hasRole(Role.COORDINATOR)) {
                started.accept(new Started(address, 0));
                return running;
            }
            ActorRef<Coordinator.Command> coordinator = ClusterSingleton.get(ctx.getSystem()).init(
                    SingletonActor.of(Coordinator.create(new Coordinator.Setup(settings.storage(), settings.dataDir(), training,
                                    evaluation, settings.snapshotEvery(), Clock.systemUTC())), "coordinator")
                            .withSettings(ClusterSingletonSettings.create(ctx.getSystem()).withRole(Role.COORDINATOR.clusterName())));
            if (!settings.api().serve()) {
                started.accept(new Started(address, 0));
                return running;
            }
            ApiRoutes routes = new ApiRoutes(ctx.getSystem(), coordinator, training.askTimeout(), settings.storage());
            ApiServer.start(ctx.getSystem(), settings.host(), settings.api(),
                    settings.tls().enabled() ? java.util.Optional.of(settings.tls().sslContext()) : java.util.Optional.empty(), routes.routes()).whenComplete((server, error) -> {
                if (error != null) {
                    ctx.getSystem().log().error("the HTTP API could not bind {}:{}: {}; stopping", settings.host(),
                            settings.api().httpPort(), error.toString());
                    ctx.getSystem().terminate();
                } else {
                    started.accept(new Started(address, server.port()));
                }
            });
            return running;
        });
    }
}
