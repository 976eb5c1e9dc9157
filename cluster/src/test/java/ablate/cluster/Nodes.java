package ablate.cluster;

import ablate.cluster.demo.NodeJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The node JVMs a test started, each logging to DIR/NAME.log; closing stops them, newest first. */
final class Nodes implements AutoCloseable {
    private final List<NodeJvm> started = new ArrayList<>();

    NodeJvm start(Path dir, String name, List<String> env, String... args) throws Exception {
        NodeJvm node = NodeProcess.start(dir.resolve(name + ".log"), env, args);
        started.add(node);
        return node;
    }

    @Override
    public void close() throws Exception {
        for (NodeJvm n : started.reversed()) {
            n.close();
        }
    }
}
