package ablate.cluster.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.cluster.node.JournalSettings;
import ablate.cluster.node.Node;
import ablate.cluster.node.NodeSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import ablate.cluster.node.TrainingSettings;
import ablate.conf.Settings;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.util.function.Consumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every journal backend must do for the coordinator: keep events and snapshots across a
 * restart of the node (a new ActorSystem on the same database), and after snapshots delete only a
 * prefix of the events, so that replay never meets a gap (pekko-persistence-jdbc #516).
 */
abstract class JournalRecoveryContract {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dataDir;

    /** The settings of a coordinator node on this backend, journal schema not yet created. */
    abstract NodeSettings coordinator(Path dataDir);

    /** Events the plain recovery test persists: enough to span several of the plugin's replay batches on H2. */
    int eventsWithoutSnapshots() {
        return 450;
    }

    /** Runs {@code body} on a started coordinator node, then terminates the node. */
    void onNode(Consumer<ActorTestKit> body) {
        NodeSettings settings = coordinator(dataDir);
        ActorTestKit kit = ActorTestKit.create(Node.startInProcess(settings, Behaviors.empty()));
        try {
            body.accept(kit);
        } finally {
            kit.shutdownTestKit();
        }
    }

    static TestCounter.State add(ActorTestKit kit, ActorRef<TestCounter.Command> counter, int amount) {
        TestProbe<TestCounter.State> probe = kit.createTestProbe();
        counter.tell(new TestCounter.Add(amount, probe.ref()));
        return probe.receiveMessage(TIMEOUT);
    }

    static TestCounter.State get(ActorTestKit kit, ActorRef<TestCounter.Command> counter) {
        TestProbe<TestCounter.State> probe = kit.createTestProbe();
        counter.tell(new TestCounter.Get(probe.ref()));
        return probe.receiveMessage(TIMEOUT);
    }

    @Test
    void theSchemaIsCreatedOnceAndCanBeEnsuredAgain() throws SQLException {
        JournalSettings journal = coordinator(dataDir).journal();
        JournalSchema.ensure(journal);
        JournalSchema.ensure(journal);
        try (Connection c = DriverManager.getConnection(journal.jdbcUrl(), journal.user(), journal.password().reveal())) {
            for (String table : JournalSchema.TABLES) {
                try (ResultSet r = c.getMetaData().getTables(null, null, table, null)) {
                    assertThat(r.next()).as(table).isTrue();
                }
            }
        }
    }

    @Test
    void aRestartedNodeRecoversEveryEvent() {
        String id = "counter-" + UUID.randomUUID();
        int events = eventsWithoutSnapshots();
        onNode(kit -> {
            var counter = kit.spawn(TestCounter.create(id, 0));
            for (int i = 1; i <= events; i++) {
                add(kit, counter, i);
            }
        });
        onNode(kit -> assertThat(get(kit, kit.spawn(TestCounter.create(id, 0))))
                .isEqualTo(new TestCounter.State((long) events * (events + 1) / 2, events)));
    }

    @Test
    void snapshotsDeleteOnlyAPrefixOfTheEventsAndRecoveryStillSeesEverything() {
        String id = "counter-" + UUID.randomUUID();
        int snapshotEvery = 50;
        onNode(kit -> {
            var counter = kit.spawn(TestCounter.create(id, snapshotEvery));
            for (int i = 1; i <= 237; i++) {
                add(kit, counter, 1);
            }
            // Deletion follows each snapshot asynchronously: wait for the one after the snapshot at 200.
            kit.createTestProbe().awaitAssert(TIMEOUT, () -> {
                Rows rows = liveEvents(id);
                assertThat(rows.max()).isEqualTo(237);
                assertThat(rows.min()).isEqualTo(237 - 137 + 1); // events <= 200 - 2 x 50 deleted, 2 snapshots kept
                assertThat(rows.count()).as("events %d..%d without a gap", rows.min(), rows.max()).isEqualTo(rows.max() - rows.min() + 1);
                return null;
            });
        });
        onNode(kit -> {
            var counter = kit.spawn(TestCounter.create(id, snapshotEvery));
            assertThat(get(kit, counter)).isEqualTo(new TestCounter.State(237, 237));
            for (int i = 0; i < 13; i++) {
                add(kit, counter, 2);
            }
        });
        onNode(kit -> assertThat(get(kit, kit.spawn(TestCounter.create(id, snapshotEvery)))).isEqualTo(new TestCounter.State(263, 250)));
    }

    /**
     * The coordinator itself: runs submitted, paused and cancelled (with snapshots every 3 events,
     * so recovery starts from a snapshot and replays the rest) are all there, in order and in the
     * same state, after the node restarts on the same journal; a name taken before stays taken.
     */
    @Test
    void theCoordinatorRecoversItsRunsAfterARestart() throws SQLException {
        clearCoordinatorJournal();
        String config = Settings.load(Settings.Sources.ofPreset("debug", "train.steps=7")).render();
        List<String> before = new ArrayList<>();
        onNode(kit -> {
            var coordinator = kit.spawn(Coordinator.create(setup()));
            for (String name : List.of("alpha", "bravo", "charlie", "delta")) {
                assertThat(ask(kit, coordinator, replyTo -> new Coordinator.Submit(name, config, replyTo))).isInstanceOf(Views.RunFound.class);
            }
            assertThat(ask(kit, coordinator, replyTo -> new Coordinator.Control("bravo", Coordinator.Action.PAUSE, replyTo))).isInstanceOf(Views.RunFound.class);
            assertThat(ask(kit, coordinator, replyTo -> new Coordinator.Control("charlie", Coordinator.Action.CANCEL, replyTo))).isInstanceOf(Views.RunFound.class);
            before.addAll(states(kit, coordinator));
        });
        assertThat(before).containsExactly("alpha queued 7", "bravo paused 7", "charlie cancelled 7", "delta queued 7");
        onNode(kit -> {
            var coordinator = kit.spawn(Coordinator.create(setup()));
            assertThat(states(kit, coordinator)).isEqualTo(before);
            Views.RunAnswer again = ask(kit, coordinator, replyTo -> new Coordinator.Submit("alpha", config, replyTo));
            assertThat(again).isInstanceOf(Views.Refused.class);
            assertThat(((Views.Refused) again).error()).contains("a run named alpha exists");
        });
    }

    private Coordinator.Setup setup() {
        return new Coordinator.Setup(dataDir.resolve("runs"), dataDir, TrainingSettings.from(ConfigFactory.empty()),
                ablate.cluster.node.EvaluationSettings.from(ConfigFactory.empty()), 3, Clock.systemUTC());
    }

    private static Views.RunAnswer ask(ActorTestKit kit, ActorRef<Coordinator.Command> coordinator,
            java.util.function.Function<ActorRef<Views.RunAnswer>, Coordinator.Command> message) {
        TestProbe<Views.RunAnswer> probe = kit.createTestProbe();
        coordinator.tell(message.apply(probe.ref()));
        return probe.receiveMessage(TIMEOUT);
    }

    private List<String> states(ActorTestKit kit, ActorRef<Coordinator.Command> coordinator) {
        TestProbe<Views.RunsFound> probe = kit.createTestProbe();
        coordinator.tell(new Coordinator.ListRuns(probe.ref()));
        return probe.receiveMessage(TIMEOUT).runs().stream()
                .map(r -> r.name() + " " + r.state().name().toLowerCase() + " " + r.steps()).toList();
    }

    /** Removes the coordinator's events and snapshots, so the test starts from an empty journal on a shared server. */
    void clearCoordinatorJournal() throws SQLException {
        JournalSettings journal = coordinator(dataDir).journal();
        JournalSchema.ensure(journal);
        try (Connection c = DriverManager.getConnection(journal.jdbcUrl(), journal.user(), journal.password().reveal())) {
            for (String table : List.of("event_journal", "snapshot")) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM " + table + " WHERE persistence_id = ?")) {
                    s.setString(1, Coordinator.ID.id());
                    s.executeUpdate();
                }
            }
        }
    }

    record Rows(long min, long max, long count) {}

    /** The events of {@code persistenceId} not marked deleted, read straight from the table. */
    Rows liveEvents(String persistenceId) throws SQLException {
        JournalSettings journal = coordinator(dataDir).journal();
        try (Connection c = DriverManager.getConnection(journal.jdbcUrl(), journal.user(), journal.password().reveal());
                PreparedStatement s = c.prepareStatement("SELECT min(sequence_number), max(sequence_number), count(*)"
                        + " FROM event_journal WHERE persistence_id = ? AND deleted = false")) {
            s.setString(1, persistenceId);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return new Rows(r.getLong(1), r.getLong(2), r.getLong(3));
            }
        }
    }
}
