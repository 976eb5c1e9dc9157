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
import java.util.UUID;
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
