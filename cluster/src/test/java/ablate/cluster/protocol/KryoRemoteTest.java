package ablate.cluster.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.cluster.TestNodes;
import ablate.cluster.node.Node;
import ablate.cluster.protocol.SampleMessages.Envelope;
import ablate.cluster.protocol.SampleMessages.Phase;
import ablate.cluster.protocol.SampleMessages.Ping;
import ablate.cluster.protocol.SampleMessages.PlainSerializable;
import ablate.cluster.protocol.SampleMessages.Pong;
import ablate.cluster.protocol.SampleMessages.Progress;
import ablate.cluster.protocol.SampleMessages.Shard;
import ablate.cluster.protocol.SampleMessages.Unlisted;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.event.Logging;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Messages between two nodes (two ActorSystems on 127.0.0.1 in one cluster), through Artery and the Kryo serializer. */
class KryoRemoteTest {
    private static final Duration QUIET = Duration.ofSeconds(1);

    private static ActorTestKit first;
    private static ActorTestKit second;
    /** What the echo actor on the second node received, other than pings. */
    private static TestProbe<Object> received;
    /** The echo actor, seen from the first node. */
    private static ActorRef<Object> remoteEcho;

    @BeforeAll
    static void startTwoNodes(@TempDir Path dir) {
        first = ActorTestKit.create(Node.startInProcess(TestNodes.trainer(dir.resolve("a"), List.of()), Behaviors.empty()));
        int firstPort = Cluster.get(first.system()).selfMember().address().getPort().orElseThrow();
        second = ActorTestKit.create(Node.startInProcess(TestNodes.trainer(dir.resolve("b"), List.of("127.0.0.1:" + firstPort)), Behaviors.empty()));
        TestProbe<Object> probe = first.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(20), () -> {
            for (ActorSystem<?> system : List.of(first.system(), second.system())) {
                assertThat(Cluster.get(system).state().getMembers()).hasSize(2).allMatch(m -> m.status() == MemberStatus.up());
            }
            return null;
        });
        received = second.createTestProbe();
        ActorRef<Object> echo = second.spawn(echo(received.ref()), "echo");
        String address = ActorRefResolver.get(second.system()).toSerializationFormat(echo);
        remoteEcho = ActorRefResolver.get(first.system()).resolveActorRef(address);
    }

    @AfterAll
    static void stop() {
        second.shutdownTestKit();
        first.shutdownTestKit();
    }

    /** Answers pings (to the ActorRef inside them) and hands everything else to {@code received}. */
    private static Behavior<Object> echo(ActorRef<Object> received) {
        return Behaviors.receive((context, message) -> {
            if (message instanceof Ping ping) {
                ping.replyTo().tell(new Pong(ping.text(), context.getSelf()));
            } else {
                received.tell(message);
            }
            return Behaviors.same();
        });
    }

    @Test
    void anActorRefInAMessageReachesItsActorFromTheOtherNode() {
        TestProbe<Pong> replies = first.createTestProbe();
        remoteEcho.tell(new Ping("hello", replies.ref()));

        Pong pong = replies.expectMessageClass(Pong.class, Duration.ofSeconds(10));
        assertThat(pong.text()).isEqualTo("hello");
        assertThat(pong.from().path()).isEqualTo(remoteEcho.path());
        assertThat(pong.from().path().address().hasGlobalScope()).isTrue();
    }

    @Test
    void aRecordWithNestedRecordsCollectionsAndArraysArrivesIntact() {
        Progress sent = new Progress("run-1", Phase.DONE,
                List.of(new Shard("s", new byte[] {9, 8, 7}, new long[] {42}, new double[] {1.5})), Map.of("loss", 1.25),
                Set.of(0, 1), Instant.ofEpochMilli(1_700_000_000_123L), Duration.ofSeconds(90), Path.of("relative/dir"));
        remoteEcho.tell(sent);

        Object arrived = received.receiveMessage(Duration.ofSeconds(10));
        assertThat(arrived).usingRecursiveComparison().ignoringCollectionOrder().isEqualTo(sent);
    }

    @Test
    void anUnregisteredClassIsNeverSentAndItsSenderLogsWhy() {
        TestProbe<Logging.Error> errors = errorsOfFirstNode();
        Unlisted unlisted = new Unlisted("not listed");
        int constructed = Unlisted.CONSTRUCTED.get();

        remoteEcho.tell(unlisted);
        remoteEcho.tell(new Envelope("after it")); // the association survives: the next message arrives

        Logging.Error error = nextError(errors);
        assertThat(error.cause()).hasMessageContaining(Unlisted.class.getName()).hasMessageContaining("not registered");
        assertThat(received.receiveMessage(Duration.ofSeconds(10))).isEqualTo(new Envelope("after it"));
        received.expectNoMessage(QUIET);
        assertThat(Unlisted.CONSTRUCTED.get()).isEqualTo(constructed);
    }

    @Test
    void aJavaSerializableMessageIsNotSentBecauseJavaSerializationIsOff() {
        TestProbe<Logging.Error> errors = errorsOfFirstNode();

        remoteEcho.tell(new PlainSerializable("java only"));

        Logging.Error error = nextError(errors);
        assertThat(error.message().toString()).contains(PlainSerializable.class.getName());
        received.expectNoMessage(QUIET);
    }

    /**
     * A probe subscribed to the first node's error events, once the subscription is in effect: the
     * event stream subscribes asynchronously, and an error published before that would be missed.
     */
    private static TestProbe<Logging.Error> errorsOfFirstNode() {
        TestProbe<Logging.Error> errors = first.createTestProbe();
        first.system().eventStream().tell(new EventStream.Subscribe<>(Logging.Error.class, errors.ref()));
        Logging.Error marker = new Logging.Error("test", KryoRemoteTest.class, "subscribed");
        errors.awaitAssert(Duration.ofSeconds(10), () -> {
            first.system().eventStream().tell(new EventStream.Publish<>(marker));
            assertThat(errors.receiveMessage(Duration.ofMillis(500))).isSameAs(marker);
            return null;
        });
        return errors;
    }

    /** The next error that is not one of the subscription markers. */
    private static Logging.Error nextError(TestProbe<Logging.Error> errors) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            Logging.Error e = errors.receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (!"subscribed".equals(String.valueOf(e.message()))) {
                return e;
            }
        }
    }
}
