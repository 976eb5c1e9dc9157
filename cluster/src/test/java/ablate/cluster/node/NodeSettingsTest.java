package ablate.cluster.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.cluster.TestNodes;
import ablate.cluster.coordinator.JournalSchema;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import com.typesafe.config.Config;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSettingsTest {
    private static final String PASSWORD = "pw-7e1f0c9a55d2";

    @TempDir
    Path dir;

    private NodeSettings load(Set<Role> roles, Map<String, String> env, String... overrides) {
        return NodeSettings.load(TestNodes.config(overrides), new NodeSettings.Launch(roles, "10.0.0.5", 2552, dir), env);
    }

    private NodeSettings trainer(String... overrides) {
        return load(Set.of(Role.TRAINER), Map.of(), overrides);
    }

    @Test
    void defaultsPutJournalAndRunsUnderTheDataDirectory() {
        NodeSettings settings = trainer();

        assertThat(settings.journal()).isEqualTo(new JournalSettings.H2(dir.resolve("journal/ablate")));
        assertThat(settings.journal().jdbcUrl()).contains("DATABASE_TO_UPPER=false");
        assertThat(settings.storage()).isEqualTo(dir.resolve("runs"));
        assertThat(settings.snapshotEvery()).isEqualTo(100);
        assertThat(settings.seeds()).isEmpty();
        assertThat(settings.api()).isEqualTo(new ApiSettings(false, Secret.empty(), 8558));
    }

    @Test
    void aTypoInAClusterKeyFailsWithTheKeyItsOriginAndTheNearestKey() {
        assertThatThrownBy(() -> trainer("cluster.snapshot-evry=5"))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("cluster.snapshot-evry (--set cluster.snapshot-evry=5)")
                .hasMessageContaining("did you mean 'cluster.snapshot-every'");
    }

    @Test
    void aTypoInANodeFileNamesTheFileAndLine() throws IOException {
        Path file = dir.resolve("node.conf");
        Files.writeString(file, "cluster {\n  journal = h2\n  api.tokn = \"x\"\n}\n");
        Config user = Settings.compose(new Settings.Sources("", List.of(file), List.of()));

        assertThatThrownBy(() -> NodeSettings.load(user, new NodeSettings.Launch(Set.of(Role.TRAINER), "h", 0, dir), Map.of()))
                .hasMessageContaining("cluster.api.tokn (" + file + ":3)")
                .hasMessageContaining("did you mean 'cluster.api.token'");
    }

    @Test
    void theRunLockWaitMustFitInThePrepareDeadline() {
        assertThatThrownBy(() -> TrainingSettings.from(Settings.compose(new Settings.Sources("", List.of(),
                List.of("cluster.training.run-lock-timeout=10m")))))
                .hasMessageContaining("cluster.training.run-lock-timeout (--set cluster.training.run-lock-timeout=10m)")
                .hasMessageContaining("must be at most prepare-timeout (PT5M)");
        assertThat(TrainingSettings.from(Settings.compose(new Settings.Sources("", List.of(), List.of()))).runLockTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(5));
    }

    @Test
    void aMisspelledTopLevelSectionIsNotIgnored() {
        assertThatThrownBy(() -> trainer("clustr.journal=postgres"))
                .hasMessageContaining("clustr (--set clustr.journal=postgres)")
                .hasMessageContaining("did you mean 'cluster'");
    }

    @Test
    void wrongTypesAndValuesNameTheirKey() {
        assertThatThrownBy(() -> trainer("cluster.snapshot-every=many"))
                .hasMessageContaining("cluster.snapshot-every (--set cluster.snapshot-every=many)");
        assertThatThrownBy(() -> trainer("cluster.journal=sqlite"))
                .hasMessageContaining("cluster.journal (--set cluster.journal=sqlite): 'sqlite' is not one of: h2 | postgres");
        assertThatThrownBy(() -> trainer("cluster.seeds=[\"node-1\"]"))
                .hasMessageContaining("cluster.seeds (--set cluster.seeds=[\"node-1\"]): 'node-1' is not host:port");
    }

    @Test
    void thePostgresPasswordFromTheEnvironmentIsUsedButNeverShown() {
        Map<String, String> env = Map.of("ABLATE_JOURNAL_PASSWORD", PASSWORD);
        NodeSettings settings = load(Set.of(Role.TRAINER), env, "cluster.journal=postgres",
                "cluster.journal-postgres.url=\"jdbc:postgresql://127.0.0.1:5432/ablate\"", "cluster.journal-postgres.user=ablate");

        assertThat(settings.journal().password().reveal()).isEqualTo(PASSWORD);
        assertThat(settings.pekkoConfig().getString("pekko-persistence-jdbc.shared-databases.ablate.db.password")).isEqualTo(PASSWORD);
        assertThat(settings.toString()).doesNotContain(PASSWORD).contains("jdbc:postgresql://127.0.0.1:5432/ablate");
        assertThat(settings.journal().toString()).doesNotContain(PASSWORD);
        assertThat(settings.journal().password().toString()).doesNotContain(PASSWORD);
    }

    @Test
    void noErrorMessageShowsThePassword() throws IOException {
        Map<String, String> env = Map.of("ABLATE_JOURNAL_PASSWORD", PASSWORD);
        assertThatThrownBy(() -> load(Set.of(Role.TRAINER), env, "cluster.journal=postgres", "cluster.journal-postgres.user=ablate"))
                .hasMessageContaining("cluster.journal-postgres.url")
                .message().doesNotContain(PASSWORD);
        assertThatThrownBy(() -> load(Set.of(Role.TRAINER), Map.of(), "cluster.journal=postgres",
                "cluster.journal-postgres.password=" + PASSWORD, "cluster.journal-postgres.usr=ablate"))
                .hasMessageContaining("cluster.journal-postgres.usr")
                .message().doesNotContain(PASSWORD);
        assertThatThrownBy(() -> load(Set.of(Role.TRAINER), env, "cluster.journal=postgres",
                "cluster.journal-postgres.url=\"jdbc:h2:mem:x;password=" + PASSWORD + "\"", "cluster.journal-postgres.user=ablate"))
                .message().doesNotContain(PASSWORD);

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        NodeSettings unreachable = load(Set.of(Role.TRAINER), env, "cluster.journal=postgres",
                "cluster.journal-postgres.url=\"jdbc:postgresql://127.0.0.1:" + closedPort + "/ablate\"", "cluster.journal-postgres.user=ablate");
        assertThatThrownBy(() -> JournalSchema.ensure(unreachable.journal()))
                .isInstanceOf(JournalSchema.JournalSchemaException.class)
                .hasMessageContaining("jdbc:postgresql://127.0.0.1:" + closedPort + "/ablate")
                .hasMessageContaining("user 'ablate'")
                .message().doesNotContain(PASSWORD);
    }

    @Test
    void aPasswordInTheConfigWinsOverTheEnvironment() {
        NodeSettings settings = load(Set.of(Role.TRAINER), Map.of("ABLATE_JOURNAL_PASSWORD", "from-env"), "cluster.journal=postgres",
                "cluster.journal-postgres.url=\"jdbc:postgresql://db/ablate\"", "cluster.journal-postgres.user=u",
                "cluster.journal-postgres.password=from-config");
        assertThat(settings.journal().password().reveal()).isEqualTo("from-config");
    }

    @Test
    void aCoordinatorServingTheApiRefusesToStartWithoutAToken() {
        assertThatThrownBy(() -> load(Set.of(Role.COORDINATOR), Map.of()))
                .hasMessageContaining("cluster.api.token")
                .hasMessageContaining("export ABLATE_TOKEN=")
                .hasMessageContaining("cluster.api.enabled = off");
        assertThatThrownBy(() -> load(Set.of(Role.COORDINATOR), Map.of("ABLATE_TOKEN", "short-secret")))
                .hasMessageContaining("cluster.api.token (environment variable ABLATE_TOKEN): the token is shorter than 16")
                .message().doesNotContain("short-secret");

        NodeSettings fromEnv = load(Set.of(Role.COORDINATOR, Role.TRAINER), Map.of("ABLATE_TOKEN", TestNodes.TOKEN), "cluster.api.http-port=0");
        assertThat(fromEnv.api()).isEqualTo(new ApiSettings(true, Secret.of(TestNodes.TOKEN), 0));
        assertThat(fromEnv.toString()).doesNotContain(TestNodes.TOKEN);
        assertThat(load(Set.of(Role.COORDINATOR), Map.of(), "cluster.api.enabled=off").api().serve()).isFalse();
        assertThat(trainer().api().serve()).isFalse();
    }

    @Test
    void pekkoConfigCarriesTheNodesAddressRolesSeedsAndJournal() {
        NodeSettings settings = load(Set.of(Role.COORDINATOR, Role.TRAINER), Map.of("ABLATE_TOKEN", TestNodes.TOKEN),
                "cluster.seeds=[\"10.0.0.1:2552\", \"10.0.0.2:2552\"]", "pekko.cluster.split-brain-resolver.stable-after=3s");
        Config config = settings.pekkoConfig();

        assertThat(config.getString("pekko.remote.artery.canonical.hostname")).isEqualTo("10.0.0.5");
        assertThat(config.getInt("pekko.remote.artery.canonical.port")).isEqualTo(2552);
        assertThat(config.getStringList("pekko.cluster.roles")).containsExactly("coordinator", "trainer");
        assertThat(config.getStringList("pekko.cluster.seed-nodes")).containsExactly("pekko://ablate@10.0.0.1:2552", "pekko://ablate@10.0.0.2:2552");
        assertThat(config.getString("pekko.actor.provider")).isEqualTo("cluster");
        assertThat(config.getString("pekko.actor.allow-java-serialization")).isEqualTo("off");
        assertThat(config.getString("pekko.cluster.downing-provider-class")).endsWith("SplitBrainResolverProvider");
        assertThat(config.getString("pekko.cluster.split-brain-resolver.active-strategy")).isEqualTo("keep-majority");
        assertThat(config.getString("pekko.cluster.split-brain-resolver.stable-after")).as("the node's own config wins").isEqualTo("3s");
        assertThat(config.getString("pekko.actor.serialization-bindings.\"ablate.cluster.protocol.ClusterMessage\"")).isEqualTo("ablate-kryo");
        assertThat(config.getString("pekko.persistence.journal.plugin")).isEqualTo("jdbc-journal");
        assertThat(config.getString("jdbc-journal.use-shared-db")).isEqualTo("ablate");
        assertThat(config.getString("pekko-persistence-jdbc.shared-databases.ablate.db.url")).isEqualTo(settings.journal().jdbcUrl());
        assertThat(config.getInt("pekko-persistence-jdbc.shared-databases.ablate.db.maxConnections")).isEqualTo(4);
        assertThat(config.getBoolean("pekko.coordinated-shutdown.exit-jvm")).isTrue();
        assertThat(config.getBoolean("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook")).isTrue();
        assertThat(settings.inProcessPekkoConfig().getBoolean("pekko.coordinated-shutdown.exit-jvm")).isFalse();
    }

    @Test
    void rolesParseFromTheCommandLine() {
        assertThat(Role.parseList("coordinator, trainer")).containsExactlyInAnyOrder(Role.COORDINATOR, Role.TRAINER);
        assertThatThrownBy(() -> Role.parseList("trainer,gpu")).hasMessageContaining("'gpu' is not one of: coordinator | trainer | evaluator");
    }

    @Test
    void eachModuleValidatesAgainstItsOwnReferenceOnly() {
        assertThat(com.typesafe.config.ConfigFactory.defaultReference().hasPath("pekko.actor")).as("Pekko is on the class path").isTrue();
        assertThat(NodeSettings.reference().root().keySet()).containsExactly("cluster");
        assertThat(Settings.reference().root().keySet()).doesNotContain("pekko", "jdbc-journal").contains("model", "train");
        // a run's own cluster settings (data-parallel) are run settings; the node's are not
        assertThat(Settings.reference().getConfig("cluster").root().keySet()).containsExactly("data-parallel");
        assertThat(NodeSettings.reference().getConfig("cluster").hasPath("data-parallel")).isFalse();
        // conf's own file: its classes folder in the reactor, "built-in" from its jar (cluster tested alone, -pl cluster)
        assertThat(Settings.originOf(Settings.reference(), "model.layers")).matches("(.*conf.*|built-in )reference\\.conf:\\d+");
        assertThat(Settings.load(Settings.Sources.ofPreset("debug", "train.steps=3")).train().steps()).isEqualTo(3);
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "pekko.loglevel=DEBUG")))
                .as("a run config is still only model, data, train, checkpoint, cluster.data-parallel").hasMessageContaining("unknown key");
    }
}
