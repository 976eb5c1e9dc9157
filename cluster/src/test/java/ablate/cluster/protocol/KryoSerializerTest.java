package ablate.cluster.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.cluster.TestNodes;
import ablate.cluster.protocol.SampleMessages.Envelope;
import ablate.cluster.protocol.SampleMessages.LoadedByName;
import ablate.cluster.protocol.SampleMessages.Phase;
import ablate.cluster.protocol.SampleMessages.PlainSerializable;
import ablate.cluster.protocol.SampleMessages.Progress;
import ablate.cluster.protocol.SampleMessages.Shard;
import ablate.cluster.protocol.SampleMessages.Unlisted;
import com.esotericsoftware.kryo.io.Output;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KryoSerializerTest {
    private static ActorTestKit kit;
    private static Serialization serialization;
    private static Serializer kryo;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        kit = ActorTestKit.create("ablate", TestNodes.trainer(dir, List.of()).inProcessPekkoConfig());
        serialization = SerializationExtension.get(kit.system());
        kryo = serialization.serializerFor(Progress.class);
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static Object roundTrip(Object message) {
        return kryo.fromBinary(kryo.toBinary(message));
    }

    @Test
    void clusterMessagesAreBoundToKryo() {
        assertThat(kryo).isInstanceOf(KryoSerializer.class);
        assertThat(kryo.identifier()).isEqualTo(KryoSerializer.IDENTIFIER);
    }

    @Test
    void recordsWithNestedRecordsCollectionsEnumsAndArraysSurviveTheRoundTrip() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", 2.5);
        metrics.put("tokens_per_s", 1.2e6);
        Progress sent = new Progress("run-7", Phase.TRAINING,
                List.of(new Shard("a", new byte[] {1, 2, -3}, new long[] {0, 1L << 40}, new double[] {0.5}),
                        new Shard("b", new byte[0], new long[0], new double[] {Double.MAX_VALUE, -0.0})),
                metrics, new TreeSet<>(Set.of(3, 1, 2)), Instant.parse("2026-12-01T10:15:30.123456789Z"),
                Duration.ofMillis(1234), Path.of("/runs/run-7/checkpoints"));

        Progress received = (Progress) roundTrip(sent);

        // The set comes back unmodifiable (an unordered type to AssertJ) but in the sender's order, checked below.
        assertThat(received).usingRecursiveComparison().ignoringCollectionOrderInFields("ranks").isEqualTo(sent);
        assertThat(received.metrics().keySet()).containsExactly("loss", "tokens_per_s");
        assertThat(received.ranks()).containsExactly(1, 2, 3);
    }

    /** Evaluator nodes get a decoder's and an encoder-decoder's planned batches through the same message. */
    @Test
    void plannedBatchesOfEitherArchitectureSurviveTheRoundTripInAScoreBatch() {
        var replyTo = kit.<EvaluationProtocol.FromEvaluator>createTestProbe().ref();
        var job = new EvaluationProtocol.JobId("run", 10, 1);
        var decoder = new ablate.evaluator.scoring.TokenBatch(3, List.of(new ablate.evaluator.scoring.TokenBatch.Row(new int[] {5, 6, 7},
                new int[] {0, 1, 2}, new int[] {0, 0, 0}, List.of(new ablate.evaluator.scoring.TokenBatch.Segment(0, new int[] {8},
                        new int[] {2})))));
        var encoderDecoder = new ablate.evaluator.scoring.PairBatch(4, 2, List.of(new ablate.evaluator.scoring.PairBatch.Context(
                new int[] {5, 6, 256}, List.of(new ablate.evaluator.scoring.PairBatch.Continuation(1, new int[] {256, 8}, new int[] {8, 9}),
                        new ablate.evaluator.scoring.PairBatch.Continuation(0, new int[] {256}, new int[] {10})))));
        for (ablate.evaluator.scoring.PlannedBatch batch : List.of(decoder, encoderDecoder)) {
            var sent = new EvaluationProtocol.ScoreBatch(job, 3, batch, replyTo);
            assertThat(roundTrip(sent)).usingRecursiveComparison().isEqualTo(sent);
        }
    }

    @Test
    void anyListSetOrMapComesBackWithItsElementsInOrderAndUnmodifiable() {
        List<Object> arrayList = new ArrayList<>(List.of("x", 1, 2L, 3.0, true, 'c', UUID.fromString("00000000-0000-0000-0000-000000000001")));
        for (Object collection : List.of(List.of(), List.of(1), List.of(1, 2, 3), arrayList, Set.of("only"), Map.of("k", List.of(1, 2)),
                Map.of(), new TreeSet<>(Set.of("b", "a")))) {
            Object received = ((Envelope) roundTrip(new Envelope(collection))).payload();
            assertThat(received).isEqualTo(collection);
            if (received instanceof List<?> list) {
                assertThat(List.copyOf(list)).isEqualTo(collection);
                assertThatThrownBy(() -> list.remove(0)).isInstanceOfAny(UnsupportedOperationException.class);
            }
        }
    }

    @Test
    void builtInIdsNeverChangeBecauseTheJournalStoresThem() {
        byte[] bytes = kryo.toBinary(new Envelope(List.of(Instant.ofEpochSecond(1), "a")));
        // Envelope = extra class 5 (id 10005), List = 30, Instant = 40, String = Kryo's 1: each written as id + 2.
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo("974e20022a0100038261");
    }

    @Test
    void anObjectOfAnUnregisteredClassIsRefusedNamingTheClass() {
        Unlisted unlisted = new Unlisted("not listed");

        assertThatThrownBy(() -> kryo.toBinary(unlisted))
                .isInstanceOf(UnregisteredClassException.class)
                .hasMessageContaining(Unlisted.class.getName())
                .hasMessageContaining("Registrations.CLASSES");
        assertThatThrownBy(() -> kryo.toBinary(new Envelope(unlisted)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Unlisted.class.getName())
                .hasMessageContaining("payload");
        assertThatThrownBy(() -> kryo.toBinary(new Envelope(new StringBuilder("mutable"))))
                .hasMessageContaining("java.lang.StringBuilder");
    }

    @Test
    void aPayloadNamingAnUnregisteredIdFailsWithoutInstantiatingAnything() {
        int before = Unlisted.CONSTRUCTED.get();
        Output output = new Output(64);
        output.writeVarInt(10_005 + 2, true); // Envelope
        output.writeVarInt(10_999 + 2, true); // its payload: an id nobody registered
        output.writeString("not listed");

        assertThatThrownBy(() -> kryo.fromBinary(output.toBytes()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unregistered class ID: 10999");
        assertThat(Unlisted.CONSTRUCTED.get()).isEqualTo(before);
    }

    @Test
    void aPayloadNamingAClassByNameIsRefusedBeforeTheClassIsLoaded() {
        Output output = new Output(128);
        output.writeVarInt(1, true); // Kryo's "class name follows" marker
        output.writeVarInt(0, true);
        output.writeString(LoadedByName.class.getName());

        assertThatThrownBy(() -> kryo.fromBinary(output.toBytes()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refused a class name");
        assertThat(SampleMessages.Flag.LOADED).isFalse();
    }

    @Test
    void trailingBytesAfterAMessageAreRefused() {
        byte[] bytes = kryo.toBinary(new Envelope("x"));
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 3);
        assertThatThrownBy(() -> kryo.fromBinary(longer)).hasMessageContaining("3 bytes left");
    }

    @Test
    void javaSerializationIsOff() {
        var result = serialization.serialize(new PlainSerializable("would need Java serialization"));
        assertThat(result.isFailure()).isTrue();
        assertThat(result.failed().get()).hasMessageContaining("allow-java-serialization");
    }

    @Test
    void onlyRecordsAndEnumsMayBeListed() {
        assertThatThrownBy(() -> new KryoFactory(List.of(StringBuilder.class), () -> { throw new AssertionError(); }, getClass().getClassLoader()))
                .hasMessageContaining("records and enums only, not java.lang.StringBuilder");
    }
}
