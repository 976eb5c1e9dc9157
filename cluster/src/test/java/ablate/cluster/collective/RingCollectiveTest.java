package ablate.cluster.collective;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.cluster.collective.RingCollective.Range;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Sums, gathers and records on rings of one JVM, one thread per rank, on loopback. */
class RingCollectiveTest {
    static List<RingCollective> ring(int ranks, String group) {
        return Rings.ring(ranks, group, Rings.TIMEOUT);
    }

    static <T> List<T> onEveryRank(List<RingCollective> ring, Function<RingCollective, T> body) {
        return Rings.onEveryRank(ring, body);
    }

    /** A value per rank and element: mixed signs, large magnitudes, so wrong sums show. */
    static long int64(int rank, long i) {
        long h = (i + 1) * 0x9E3779B97F4A7C15L + rank * 0xC2B2AE3D27D4EB4FL;
        return (h ^ (h >>> 29)) >> 8; // |x| < 2^55, so four ranks cannot overflow
    }

    /** Floats whose sums round, so the order of addition shows. */
    static float float32(int rank, long i) {
        return (float) ((int64(rank, i) & 0xFFFFF) / 1048576.0 * (rank + 1.3) - 0.6);
    }

    /** Chunk c summed along the ring from rank c + 1, ending with rank c: the documented order. */
    static float ringOrderSum(RingCollective any, long n, long i) {
        int ranks = any.ranks();
        int c = 0;
        while (any.chunk(c, n).end() <= i) {
            c++;
        }
        float sum = float32((c + 1) % ranks, i);
        for (int k = 2; k <= ranks; k++) {
            sum += float32((c + k) % ranks, i);
        }
        return sum;
    }

    static LongBuffer longs(int n, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(8 * n).order(ByteOrder.nativeOrder()).asLongBuffer() : LongBuffer.allocate(n);
    }

    static FloatBuffer floats(int n, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer() : FloatBuffer.allocate(n);
    }

    static Stream<Arguments> ranksAndMemory() {
        return Stream.of(2, 3, 4).flatMap(r -> Stream.of(Arguments.of(r, true), Arguments.of(r, false)));
    }

    @ParameterizedTest(name = "{0} ranks, direct {1}")
    @MethodSource("ranksAndMemory")
    void sumsReduceScattersAndAllGathersAreExactForEveryLength(int ranks, boolean direct) {
        List<RingCollective> ring = ring(ranks, "sums");
        try {
            for (int n : new int[] {0, 1, ranks - 1, ranks + 1, 1000, 1_000_003}) {
                List<LongBuffer> longSums = onEveryRank(ring, c -> {
                    LongBuffer data = longs(n, direct);
                    for (int i = 0; i < n; i++) {
                        data.put(i, int64(c.rank(), i));
                    }
                    c.sum(data);
                    return data;
                });
                List<FloatBuffer> floatSums = onEveryRank(ring, c -> {
                    FloatBuffer data = floats(n, direct);
                    for (int i = 0; i < n; i++) {
                        data.put(i, float32(c.rank(), i));
                    }
                    c.sum(data);
                    return data;
                });
                // The halves alone: each rank's own chunk of a float reduce-scatter, and a long all-gather of chunks.
                List<FloatBuffer> scattered = onEveryRank(ring, c -> {
                    FloatBuffer data = floats(n, direct);
                    for (int i = 0; i < n; i++) {
                        data.put(i, float32(c.rank(), i));
                    }
                    c.reduceScatter(data);
                    return data;
                });
                List<LongBuffer> gathered = onEveryRank(ring, c -> {
                    LongBuffer data = longs(n, direct);
                    Range mine = c.chunk(c.rank(), n);
                    for (int i = 0; i < n; i++) {
                        data.put(i, mine.start() <= i && i < mine.end() ? int64(c.rank(), i) : -1);
                    }
                    c.allGather(data);
                    return data;
                });
                for (int i = 0; i < n; i++) {
                    long exact = 0;
                    int owner = 0;
                    for (int r = 0; r < ranks; r++) {
                        exact += int64(r, i);
                        if (ring.get(0).chunk(r, n).start() <= i) {
                            owner = r;
                        }
                    }
                    float ordered = ringOrderSum(ring.get(0), n, i);
                    if (Float.floatToRawIntBits(scattered.get(owner).get(i)) != Float.floatToRawIntBits(ordered)) {
                        assertThat(scattered.get(owner).get(i)).as("n %d, reduce-scatter owner %d, element %d", n, owner, i).isEqualTo(ordered);
                    }
                    for (int r = 0; r < ranks; r++) {
                        if (gathered.get(r).get(i) != int64(owner, i)) {
                            assertThat(gathered.get(r).get(i)).as("n %d, all-gather on rank %d, element %d", n, r, i).isEqualTo(int64(owner, i));
                        }
                    }
                    for (int r = 0; r < ranks; r++) {
                        if (longSums.get(r).get(i) != exact || Float.floatToRawIntBits(floatSums.get(r).get(i)) != Float.floatToRawIntBits(ordered)) {
                            assertThat(longSums.get(r).get(i)).as("n %d, rank %d, int64 element %d", n, r, i).isEqualTo(exact);
                            assertThat(floatSums.get(r).get(i)).as("n %d, rank %d, float32 element %d", n, r, i).isEqualTo(ordered);
                        }
                    }
                }
            }
        } finally {
            ring.forEach(RingCollective::close);
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void fixedPointReduceScatterThenFloatAllGatherIsExactOn64Mb(int ranks) {
        int n = 8 << 20; // 64 MB of int64, then 32 MB of float32
        List<RingCollective> ring = ring(ranks, "fixed-point");
        try {
            List<FloatBuffer> results = onEveryRank(ring, c -> {
                LongBuffer fixed = longs(n, true);
                for (int i = 0; i < n; i++) {
                    fixed.put(i, int64(c.rank(), i));
                }
                c.reduceScatter(fixed);
                FloatBuffer out = floats(n, true);
                Range mine = c.chunk(c.rank(), n);
                for (int i = (int) mine.start(); i < mine.end(); i++) {
                    out.put(i, (float) (fixed.get(i) * 0x1p-40));
                }
                c.allGather(out);
                return out;
            });
            for (int i = 0; i < n; i++) {
                long exact = 0;
                for (int r = 0; r < ranks; r++) {
                    exact += int64(r, i);
                }
                float expected = (float) (exact * 0x1p-40);
                for (int r = 0; r < ranks; r++) {
                    if (Float.floatToRawIntBits(results.get(r).get(i)) != Float.floatToRawIntBits(expected)) {
                        assertThat(results.get(r).get(i)).as("rank %d element %d", r, i).isEqualTo(expected);
                    }
                }
            }
        } finally {
            ring.forEach(RingCollective::close);
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void float32SumOf64MbIsBitwiseIdenticalOnEveryRank(int ranks) {
        int n = 16 << 20;
        List<RingCollective> ring = ring(ranks, "big");
        try {
            List<FloatBuffer> sums = onEveryRank(ring, c -> {
                FloatBuffer data = floats(n, c.rank() % 2 == 0); // heap and direct ranks together
                for (int i = 0; i < n; i++) {
                    data.put(i, float32(c.rank(), i));
                }
                c.sum(data);
                return data;
            });
            for (int r = 1; r < ranks; r++) {
                assertThat(sums.get(r).compareTo(sums.get(0))).as("rank %d against rank 0", r).isZero();
            }
            for (int i = 0; i < n; i += 9973) {
                assertThat(sums.get(0).get(i)).isEqualTo(ringOrderSum(ring.get(0), n, i));
            }
        } finally {
            ring.forEach(RingCollective::close);
        }
    }

    @Test
    void chunksTileTheBufferEvenly() {
        List<RingCollective> ring = ring(3, "chunks");
        try {
            RingCollective c = ring.get(0);
            for (long n : new long[] {0, 1, 2, 3, 4, 10, 1_000_003}) {
                long end = 0;
                for (int r = 0; r < 3; r++) {
                    Range chunk = c.chunk(r, n);
                    assertThat(chunk.start()).isEqualTo(end);
                    assertThat(chunk.length()).isBetween(n / 3, n / 3 + 1);
                    end = chunk.end();
                }
                assertThat(end).isEqualTo(n);
            }
        } finally {
            ring.forEach(RingCollective::close);
        }
    }

    @Test
    void buffersAreUsedFromPositionToLimit() {
        List<RingCollective> ring = ring(2, "views");
        try {
            List<LongBuffer> results = onEveryRank(ring, c -> {
                LongBuffer data = longs(10, true);
                for (int i = 0; i < 10; i++) {
                    data.put(i, 100 * c.rank() + i);
                }
                c.sum(data.position(3).limit(8));
                return data;
            });
            assertThat(results.get(0).position()).isEqualTo(3);
            assertThat(longArray(results.get(0))).containsExactly(0, 1, 2, 106, 108, 110, 112, 114, 8, 9);
            assertThat(longArray(results.get(1))).containsExactly(100, 101, 102, 106, 108, 110, 112, 114, 108, 109);
        } finally {
            ring.forEach(RingCollective::close);
        }
    }

    private static long[] longArray(LongBuffer b) {
        long[] a = new long[b.capacity()];
        b.duplicate().clear().get(a);
        return a;
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {1, 2, 3, 4})
    void recordsOfEveryLengthReachEveryRankInRankOrder(int ranks) {
        List<RingCollective> ring = ring(ranks, "records");
        try {
            Function<Integer, byte[]> record = r -> "x".repeat(r == 1 ? 0 : 700 * r + 3).getBytes(StandardCharsets.UTF_8);
            for (int round = 0; round < 3; round++) {
                List<List<byte[]>> all = onEveryRank(ring, c -> c.allGather(record.apply(c.rank())));
                for (List<byte[]> got : all) {
                    assertThat(got).hasSize(ranks);
                    for (int r = 0; r < ranks; r++) {
                        assertThat(got.get(r)).isEqualTo(record.apply(r));
                    }
                }
            }
        } finally {
            ring.forEach(RingCollective::close);
        }
    }

    @Test
    void oneRankIsANoOp() {
        RingCollective alone = ring(1, "alone").getFirst();
        try {
            FloatBuffer data = floats(5, true).put(0, 1.5f);
            alone.sum(data);
            alone.reduceScatter(data);
            assertThat(data.get(0)).isEqualTo(1.5f);
            assertThat(alone.chunk(0, 5)).isEqualTo(new Range(0, 5));
        } finally {
            alone.close();
        }
    }
}
