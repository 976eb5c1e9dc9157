package ablate.cluster.demo;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster on this machine for {@code ablate demo}: a coordinator (embedded H2 journal, HTTP API
 * on a free port), trainer nodes and one evaluator node, each a JVM of its own on loopback with this
 * JVM's options, logs under {@code ROOT/logs}. Closing it stops every node (SIGTERM, then SIGKILL),
 * and so does a Ctrl-C of this process.
 */
final class LocalCluster implements AutoCloseable {
    private final List<NodeJvm> nodes = new ArrayList<>();
    private final String token = Demo.token();
    private final Thread onExit = Thread.ofPlatform().unstarted(this::stopAll);
    private String api = "";

    private LocalCluster() {}

    static LocalCluster start(Path root, int trainers, PrintStream out) throws Exception {
        LocalCluster cluster = new LocalCluster();
        Runtime.getRuntime().addShutdownHook(cluster.onExit);
        try {
            String storage = "cluster.storage=" + root.resolve("runs");
            NodeJvm coordinator = cluster.node(root, "coordinator", "--role", "coordinator", "--http-port", "0", "--data-dir",
                    root.resolve("nodes/coordinator").toString(), "--set", storage);
            cluster.api = coordinator.api();
            out.println("coordinator up at " + coordinator.address() + ", api http://" + coordinator.api());
            for (int i = 0; i < trainers; i++) {
                NodeJvm t = cluster.node(root, "trainer-" + i, "--role", "trainer", "--seed", coordinator.address(), "--data-dir",
                        root.resolve("nodes/trainer-" + i).toString(), "--set", storage);
                out.println("trainer " + i + " up at " + t.address());
            }
            NodeJvm e = cluster.node(root, "evaluator", "--role", "evaluator", "--seed", coordinator.address(), "--data-dir",
                    root.resolve("nodes/evaluator").toString(), "--set", storage, "--set", "cluster.evaluation.threads=1");
            out.println("evaluator up at " + e.address());
            return cluster;
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    private NodeJvm node(Path root, String name, String... args) throws Exception {
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList();
        NodeJvm node = NodeJvm.start(root.resolve("logs").resolve(name + ".log"), jvm, List.of("ABLATE_TOKEN=" + token),
                Duration.ofSeconds(150), true, args);
        nodes.add(node);
        return node;
    }

    String api() {
        return api;
    }

    String token() {
        return token;
    }

    private void stopAll() {
        for (NodeJvm n : nodes.reversed()) {
            try {
                if (n.alive()) {
                    n.signal("TERM"); // all at once: each leaves gracefully in a few seconds
                }
            } catch (Exception e) {
                // close() below kills it
            }
        }
        for (NodeJvm n : nodes.reversed()) {
            try {
                n.close();
            } catch (Exception e) {
                // keep stopping the others: the process is leaving
            }
        }
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // already shutting down: the hook is running
        }
    }
}
