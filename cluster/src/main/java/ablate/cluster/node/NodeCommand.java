package ablate.cluster.node;

import ablate.conf.Settings;
import ablate.trainer.cli.Cli;
import ablate.trainer.run.Torch;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ablate node}: starts one cluster member in this JVM and runs until it leaves (SIGTERM leaves gracefully). */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Start one cluster member: a coordinator (journal, HTTP API), a trainer (one per device) or an evaluator.",
                "Prints 'node up: ROLE at HOST:PORT' (and 'api: http[s]://HOST:PORT' on a coordinator) once it is a member; exits 1 when it cannot join within 120 s."})
public final class NodeCommand implements Callable<Integer> {
    /** How long a node may take to start and join the cluster before it gives up, loudly. */
    private static final int JOIN_SECONDS = 120;

    @Option(names = "--role", required = true, paramLabel = "ROLE[,ROLE]", description = "coordinator, trainer or evaluator (comma-separated for several).")
    String role;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEVICE", description = "A trainer's device: cpu or cuda:N. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "The address other nodes reach this one at. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "0", paramLabel = "P", description = "Cluster (Artery) port; 0 = any free port, printed at start.")
    int port;

    @Option(names = "--seed", paramLabel = "HOST:PORT", description = "A seed node (repeatable); none: this node starts a new cluster.")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--data-dir", defaultValue = ".", paramLabel = "DIR", description = "Node data: the journal (coordinator), relative corpus paths, runs/ unless cluster.storage is set.")
    Path dataDir;

    @Option(names = "--config", paramLabel = "FILE", description = "Node config file(s) (cluster.* and pekko.* keys).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one node setting, e.g. --set cluster.storage=/shared/runs.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--http-port", paramLabel = "P", description = "The coordinator's HTTP API port (cluster.api.http-port; 0 = any free port).")
    Integer httpPort;

    @Override
    public Integer call() {
        return Cli.guard(this::start);
    }

    private int start() throws Exception {
        List<String> all = new ArrayList<>(overrides);
        if (!seeds.isEmpty()) {
            all.add("cluster.seeds=[" + String.join(",", seeds.stream().map(s -> "\"" + s + "\"").toList()) + "]");
        }
        if (httpPort != null) {
            all.add("cluster.api.http-port=" + httpPort);
        }
        Config user = Settings.compose(new Settings.Sources("", files, all));
        NodeSettings settings = NodeSettings.load(user, new NodeSettings.Launch(Role.parseList(role), host, port, dataDir));
        TrainingSettings.from(user); // every cluster.training key checked before the node joins
        if (settings.hasRole(Role.TRAINER)) {
            Torch.device(device); // a device this libtorch cannot use fails here, before the node joins
        }
        CompletableFuture<NodeGuardian.Started> started = new CompletableFuture<>();
        ActorSystem<Void> system = Node.start(settings, NodeGuardian.create(settings, device, started::complete));
        system.getWhenTerminated().thenRun(() -> started.completeExceptionally(
                new IllegalStateException("the node stopped while starting (see the log above)")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
        NodeGuardian.Started up = started.get(JOIN_SECONDS, TimeUnit.SECONDS);
        if (!awaitMembership(system, deadline)) {
            System.err.println("error: this node did not join the cluster through " + (settings.seeds().isEmpty() ? "itself" : settings.seeds())
                    + " within " + JOIN_SECONDS + " s: is a seed up and reachable? With cluster.tls, an SSLHandshakeException in the log"
                    + " above means this node's certificate is not signed by the cluster's CA (or the seed's is not by this node's)");
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return Cli.FAILED;
        }
        System.out.println("node up: " + role + " at " + up.address().replaceFirst("^pekko://[^@]+@", ""));
        if (up.httpPort() > 0) {
            System.out.println("api: " + (settings.tls().enabled() ? "https" : "http") + "://" + settings.host() + ":" + up.httpPort());
        }
        System.out.flush();
        system.getWhenTerminated().toCompletableFuture().get();
        return Cli.OK;
    }

    /** Whether this node became a member (up, or weakly up while another member is unreachable) before the deadline. */
    private static boolean awaitMembership(ActorSystem<?> system, long deadline) throws InterruptedException {
        org.apache.pekko.cluster.typed.Cluster cluster = org.apache.pekko.cluster.typed.Cluster.get(system);
        while (System.nanoTime() < deadline) {
            org.apache.pekko.cluster.MemberStatus status = cluster.selfMember().status();
            if (status == org.apache.pekko.cluster.MemberStatus.up() || status == org.apache.pekko.cluster.MemberStatus.weaklyUp()) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
