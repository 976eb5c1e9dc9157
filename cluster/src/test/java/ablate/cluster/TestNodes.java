package ablate.cluster;

import ablate.cluster.node.NodeSettings;
import ablate.cluster.node.Role;
import ablate.conf.Settings;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Nodes for tests: 127.0.0.1, any free port, the test message classes registered, the JVM kept on shutdown. */
public final class TestNodes {
    /** A bearer token long enough for ApiSettings. */
    public static final String TOKEN = "test-token-3f9a1c07d2b84e65";

    /** Every test message class, registered through cluster.kryo.extra-classes in this order. */
    public static final List<String> TEST_CLASSES = List.of(
            "ablate.cluster.protocol.SampleMessages$Phase",
            "ablate.cluster.protocol.SampleMessages$Shard",
            "ablate.cluster.protocol.SampleMessages$Progress",
            "ablate.cluster.protocol.SampleMessages$Ping",
            "ablate.cluster.protocol.SampleMessages$Pong",
            "ablate.cluster.protocol.SampleMessages$Envelope",
            "ablate.cluster.coordinator.TestCounter$Added",
            "ablate.cluster.coordinator.TestCounter$State");

    private TestNodes() {}

    /** The user config of a test node: the test classes plus {@code --set}-style overrides. */
    public static Config config(String... overrides) {
        return Settings.compose(new Settings.Sources("", List.of(), List.of(overrides)))
                .withFallback(ConfigFactory.empty()
                        .withValue("cluster.kryo.extra-classes", ConfigValueFactory.fromIterable(TEST_CLASSES))
                        // Several nodes share the test JVM; only one could register the MBean.
                        .withValue("pekko.cluster.jmx.enabled", ConfigValueFactory.fromAnyRef(false))
                        // A node's coordinated shutdown (leave the cluster, hand over the singleton,
                        // close the journal) took over the test kit's default 10 s once on a loaded
                        // 2-core CI machine; the deadline stays, only longer.
                        .withValue("pekko.actor.testkit.typed.system-shutdown-default", ConfigValueFactory.fromAnyRef("60s")));
    }

    public static NodeSettings settings(Path dataDir, Set<Role> roles, List<String> seeds, Map<String, String> env, String... overrides) {
        String seedList = "cluster.seeds=[" + String.join(",", seeds.stream().map(s -> "\"" + s + "\"").toList()) + "]";
        String[] all = new String[overrides.length + 1];
        all[0] = seedList;
        System.arraycopy(overrides, 0, all, 1, overrides.length);
        return NodeSettings.load(config(all), new NodeSettings.Launch(roles, "127.0.0.1", 0, dataDir), env);
    }

    /** A trainer node that starts a cluster of its own or joins {@code seeds}. */
    public static NodeSettings trainer(Path dataDir, List<String> seeds) {
        return settings(dataDir, Set.of(Role.TRAINER), seeds, Map.of());
    }
}
