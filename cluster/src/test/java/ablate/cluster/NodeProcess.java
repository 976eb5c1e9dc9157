package ablate.cluster;

import ablate.cluster.demo.NodeJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One `ablate node` in a JVM of its own for a test ({@link NodeJvm} with a small heap), so that a
 * test can stop it for real: SIGTERM, SIGKILL, SIGSTOP.
 */
public final class NodeProcess {
    private static final List<String> JVM = List.of("-Xmx768m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Dai.djl.offline=true", "-Dai.djl.pytorch.graph_optimizer=false");

    private NodeProcess() {}

    /** Starts {@code ablate node ARGS} and waits until it is up; {@code env}: extra environment (ABLATE_TOKEN, ...). */
    public static NodeJvm start(Path log, List<String> env, String... args) throws IOException, InterruptedException {
        return NodeJvm.start(log, JVM, env, Duration.ofSeconds(120), true, args);
    }

    /** Starts {@code ablate node ARGS} without waiting for it to join (a node that must not get in); its address is "". */
    public static NodeJvm spawn(Path log, List<String> env, String... args) throws IOException, InterruptedException {
        return NodeJvm.start(log, JVM, env, Duration.ofSeconds(120), false, args);
    }
}
