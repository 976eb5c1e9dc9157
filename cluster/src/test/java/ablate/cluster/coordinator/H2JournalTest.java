package ablate.cluster.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.cluster.TestNodes;
import ablate.cluster.node.NodeSettings;
import ablate.cluster.node.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/** The journal on an H2 file in a temporary folder (the single-machine default). */
class H2JournalTest extends JournalRecoveryContract {
    @Override
    NodeSettings coordinator(Path dataDir) {
        return TestNodes.settings(dataDir, Set.of(Role.COORDINATOR), List.of(), Map.of(), "cluster.api.enabled=off");
    }

    @Test
    void theDatabaseFileIsUnderTheDataDirectory() {
        onNode(kit -> assertThat(Files.exists(dataDir.resolve("journal/ablate.mv.db"))).isTrue());
    }

    /** Not a timed test: prints what persisting and recovering 2,000 events costs on this machine. */
    @Test
    void measuresPersistingAndRecovering2000Events() {
        int events = 2000;
        String sequential = "counter-" + UUID.randomUUID();
        String pipelined = "counter-" + UUID.randomUUID();
        AtomicLong sequentialNanos = new AtomicLong();
        AtomicLong pipelinedNanos = new AtomicLong();
        onNode(kit -> {
            var counter = kit.spawn(TestCounter.create(sequential, 0));
            add(kit, counter, 0); // recovery and connection warm-up out of the timing
            long start = System.nanoTime();
            for (int i = 1; i < events; i++) {
                add(kit, counter, 1);
            }
            sequentialNanos.set(System.nanoTime() - start);

            var batched = kit.spawn(TestCounter.create(pipelined, 0));
            get(kit, batched);
            TestProbe<TestCounter.State> replies = kit.createTestProbe();
            start = System.nanoTime();
            for (int i = 0; i < events; i++) {
                batched.tell(new TestCounter.Add(1, replies.ref()));
            }
            replies.receiveSeveralMessages(events, TIMEOUT.multipliedBy(4));
            pipelinedNanos.set(System.nanoTime() - start);
        });
        AtomicLong recoveryNanos = new AtomicLong();
        onNode(kit -> {
            get(kit, kit.spawn(TestCounter.create(pipelined, 0))); // warm-up: connection pool, serializer, replay path
            long start = System.nanoTime();
            TestCounter.State state = get(kit, kit.spawn(TestCounter.create(sequential, 0)));
            recoveryNanos.set(System.nanoTime() - start);
            assertThat(state.events()).isEqualTo(events);
        });
        System.out.printf("H2 journal: %d events persisted one ask at a time in %.2f s (%.0f events/s); %d pipelined in %.2f s"
                        + " (%.0f events/s); recovery of %d events in %.2f s%n",
                events, sequentialNanos.get() / 1e9, events / (sequentialNanos.get() / 1e9), events, pipelinedNanos.get() / 1e9,
                events / (pipelinedNanos.get() / 1e9), events, recoveryNanos.get() / 1e9);
    }
}
