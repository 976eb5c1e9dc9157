package ablate.cluster.protocol;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/** Messages for the serializer's tests, shaped like the coordinator's will be. */
final class SampleMessages {
    private SampleMessages() {}

    enum Phase { WARMUP, TRAINING, DONE }

    record Shard(String name, byte[] bytes, long[] offsets, double[] weights) implements ClusterMessage {}

    record Progress(String run, Phase phase, List<Shard> shards, Map<String, Double> metrics, Set<Integer> ranks,
            Instant at, Duration elapsed, Path dir) implements ClusterMessage {}

    record Ping(String text, ActorRef<Pong> replyTo) implements ClusterMessage {}

    record Pong(String text, ActorRef<Object> from) implements ClusterMessage {}

    /** Holds anything: a way to smuggle an unregistered object inside a registered one. */
    record Envelope(Object payload) implements ClusterMessage {}

    /** Not in any registration list; counts how often it is constructed. */
    record Unlisted(String text) implements ClusterMessage {
        static final AtomicInteger CONSTRUCTED = new AtomicInteger();

        Unlisted {
            CONSTRUCTED.incrementAndGet();
        }
    }

    /** Java-serializable but no ClusterMessage: only Java serialization could carry it, and it is off. */
    record PlainSerializable(String text) implements Serializable {}

    /** Records whether anything ever loaded (initialized) it, e.g. by name from a payload. */
    static final class LoadedByName {
        static {
            Flag.LOADED.set(true);
        }

        private LoadedByName() {}
    }

    static final class Flag {
        static final AtomicBoolean LOADED = new AtomicBoolean();

        private Flag() {}
    }
}
