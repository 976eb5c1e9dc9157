package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SamplerTest {

    private static final int SEQ_LEN = 8;

    /** A stream whose token at position p is {@code base + p}, so a sample tells where it came from. */
    private static TokenStream positions(int base, int length) {
        return new ArrayTokenStream(IntStream.range(0, length).map(p -> base + p).toArray());
    }

    private static List<Source> mixture() {
        return List.of(
                new Source("web", positions(0, 8 * 300 + 1), 5),
                new Source("books", positions(1_000_000, 8 * 70 + 3), 3),
                new Source("code", positions(2_000_000, 8 * 11 + 1), 2));
    }

    private static int[] sample(Sampler sampler, long i) {
        int[] dst = new int[SEQ_LEN + 1];
        sampler.sample(i, dst);
        return dst;
    }

    @Test
    void randomAccessOrderGivesTheSameSamplesAsSequentialOrder() {
        int n = 3 * BlendSchedule.CHECKPOINT_EVERY + 123;
        var sequential = new Sampler(mixture(), SEQ_LEN, 7);
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(sample(sequential, i));
        }
        List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
        Collections.shuffle(order, new Random(3));
        var random = new Sampler(mixture(), SEQ_LEN, 7);
        for (int i : order) {
            assertThat(sample(random, i)).as("sample %d", i).isEqualTo(expected.get(i));
        }
    }

    @Test
    void aResumedSamplerJumpingFarAheadAgreesWithAnUninterruptedOne() {
        var uninterrupted = new Sampler(mixture(), SEQ_LEN, 7);
        List<int[]> expected = new ArrayList<>();
        for (long i = 0; i < 50_010; i++) {
            int[] s = sample(uninterrupted, i);
            if (i >= 50_000) {
                expected.add(s);
            }
        }
        var resumed = new Sampler(mixture(), SEQ_LEN, 7);
        for (int j = 9; j >= 0; j--) {
            assertThat(sample(resumed, 50_000 + j)).isEqualTo(expected.get(j));
        }
        assertThat(resumed.sourceOf(3)).isEqualTo(uninterrupted.sourceOf(3));
    }

    @Test
    void samplesDependOnTheSeed() {
        var a = new Sampler(mixture(), SEQ_LEN, 1);
        var b = new Sampler(mixture(), SEQ_LEN, 2);
        long differing = IntStream.range(0, 100).filter(i -> !Arrays.equals(sample(a, i), sample(b, i))).count();
        assertThat(differing).isGreaterThan(50);
    }

    @Test
    void everyPrefixMatchesTheWeightsWithinOneSample() {
        var sampler = new Sampler(mixture(), SEQ_LEN, 7);
        double[] weights = {0.5, 0.3, 0.2};
        long[] counts = new long[3];
        for (long i = 0; i < 20_000; i++) {
            counts[sampler.sourceOf(i)]++;
            for (int k = 0; k < 3; k++) {
                assertThat(Math.abs(counts[k] - weights[k] * (i + 1))).as("source %d after %d", k, i + 1)
                        .isLessThanOrEqualTo(1.0);
            }
        }
    }

    @Test
    void tiesGoToTheLowerIndex() {
        var sampler = new Sampler(List.of(new Source("a", positions(0, 100), 1), new Source("b", positions(0, 100), 1)),
                SEQ_LEN, 0);
        assertThat(IntStream.range(0, 6).map(sampler::sourceOf).toArray()).containsExactly(0, 1, 0, 1, 0, 1);
    }

    @Test
    void windowsOverlapByOneTokenAndStartAtMultiplesOfSeqLen() {
        var sampler = new Sampler(List.of(new Source("only", positions(0, 8 * 50 + 5), 1)), SEQ_LEN, 3);
        assertThat(sampler.windowsPerEpoch(0)).isEqualTo(50);
        for (long i = 0; i < 120; i++) {
            int[] s = sample(sampler, i);
            assertThat(s[0] % SEQ_LEN).isZero();
            assertThat(s).isEqualTo(IntStream.rangeClosed(s[0], s[0] + SEQ_LEN).toArray());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 50, 257, 1000})
    void everyWindowOfAnEpochAppearsExactlyOnce(int windows) {
        var sampler = new Sampler(List.of(new Source("only", positions(0, SEQ_LEN * windows + 1), 1)), SEQ_LEN, 9);
        List<List<Integer>> epochs = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            List<Integer> order = new ArrayList<>();
            for (int k = 0; k < windows; k++) {
                Sampler.Draw draw = sampler.locate((long) e * windows + k);
                assertThat(draw.epoch()).isEqualTo(e);
                order.add(sample(sampler, (long) e * windows + k)[0] / SEQ_LEN);
            }
            assertThat(order).containsExactlyInAnyOrderElementsOf(IntStream.range(0, windows).boxed().toList());
            epochs.add(order);
        }
        if (windows >= 50) {
            assertThat(epochs.get(1)).isNotEqualTo(epochs.get(0));
            assertThat(epochs.get(2)).isNotEqualTo(epochs.get(1));
        }
    }

    @Test
    void everyWindowOfEachSourceAppearsOncePerEpochInAMixture() {
        var sampler = new Sampler(mixture(), SEQ_LEN, 5);
        List<Set<Long>> seen = List.of(new HashSet<>(), new HashSet<>(), new HashSet<>());
        long[] taken = new long[3];
        for (long i = 0; i < 600; i++) {
            Sampler.Draw draw = sampler.locate(i);
            int k = draw.source();
            if (taken[k] < sampler.windowsPerEpoch(k)) {
                assertThat(seen.get(k).add(draw.window())).as("repeat in source %d", k).isTrue();
            }
            taken[k]++;
        }
        for (int k = 0; k < 3; k++) {
            assertThat(taken[k]).isGreaterThanOrEqualTo(sampler.windowsPerEpoch(k));
            assertThat(seen.get(k)).hasSize((int) sampler.windowsPerEpoch(k));
        }
    }

    @Test
    void identicalSourcesAreShuffledDifferently() {
        var sampler = new Sampler(List.of(new Source("a", positions(0, 8 * 100 + 1), 1),
                new Source("b", positions(0, 8 * 100 + 1), 1)), SEQ_LEN, 4);
        List<Long> a = new ArrayList<>();
        List<Long> b = new ArrayList<>();
        for (long i = 0; i < 200; i++) {
            Sampler.Draw draw = sampler.locate(i);
            (draw.source() == 0 ? a : b).add(draw.window());
        }
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void aSourceShorterThanOneWindowIsRejectedByName() {
        assertThatThrownBy(() -> new Sampler(List.of(new Source("tiny", positions(0, SEQ_LEN), 1)), SEQ_LEN, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tiny")
                .hasMessageContaining("seqLen + 1 = 9");
    }

    @Test
    void destinationMustHoldSeqLenPlusOneTokens() {
        var sampler = new Sampler(mixture(), SEQ_LEN, 0);
        assertThatThrownBy(() -> sampler.sample(0, new int[SEQ_LEN])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void feistelPermutationIsABijectionForAnySize() {
        for (long size : new long[] {1, 2, 3, 4, 5, 7, 16, 17, 100, 1023, 1024, 1025, 10_007}) {
            var permutation = new FeistelPermutation(size, 99);
            Set<Long> images = new HashSet<>();
            for (long x = 0; x < size; x++) {
                long y = permutation.apply(x);
                assertThat(y).isBetween(0L, size - 1);
                images.add(y);
            }
            assertThat(images).as("size %d", size).hasSize((int) size);
        }
    }
}
