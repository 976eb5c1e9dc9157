package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.ModelConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** T5's span corruption of a sample: its statistics, exact inverse, determinism and edge cases. */
class SpanCorruptionTest {
    private static final long SEED = 1234;
    private static final ModelConfig DEBUG = Settings.load(Settings.Sources.ofPreset("debug")).model(); // 257 ids padded to 320
    private static final SpanCorruption CORRUPTION = SpanCorruption.of(DEBUG, SpanNoise.T5, 1024, ByteTokenizer.EOS, SEED);

    @Test
    void aboutFifteenPercentOfTheTokensAreHiddenInSpansOfMeanLengthThree() {
        var random = new SplittableRandom(7);
        long tokens = 0;
        long noise = 0;
        long spans = 0;
        for (long index = 0; index < 4000; index++) {
            boolean[] mask = CORRUPTION.noiseMask(random.nextInt(64, 1025), index);
            tokens += mask.length;
            for (int i = 0; i < mask.length; i++) {
                noise += mask[i] ? 1 : 0;
                spans += mask[i] && (i == 0 || !mask[i - 1]) ? 1 : 0;
            }
        }
        double fraction = (double) noise / tokens;
        double meanSpan = (double) noise / spans;
        System.out.printf("span corruption over 4000 samples of 64..1024 tokens: %.4f of the tokens hidden, mean span %.3f%n",
                fraction, meanSpan);
        assertThat(fraction).isBetween(0.14, 0.16);
        assertThat(meanSpan).isBetween(2.8, 3.2);
    }

    @Test
    void theSpansFallAnywhereAfterTheFirstTokenAndVaryInLength() {
        int length = 200;
        int samples = 4000;
        int[] hidden = new int[length];
        int[] spanLengths = new int[length + 1];
        for (long index = 0; index < samples; index++) {
            boolean[] mask = CORRUPTION.noiseMask(length, index);
            for (int i = 0, run = 0; i <= length; i++) {
                if (i < length && mask[i]) {
                    hidden[i]++;
                    run++;
                } else if (run > 0) {
                    spanLengths[run]++;
                    run = 0;
                }
            }
        }
        assertThat(hidden[0]).as("T5's mask starts with a kept span").isZero();
        assertThat(hidden[length - 1]).as("and ends with a noise span").isEqualTo(samples);
        for (int i = 20; i < length - 20; i++) {
            assertThat(hidden[i] / (double) samples).as("position %d", i).isBetween(0.10, 0.20);
        }
        for (int l = 1; l <= 6; l++) {
            assertThat(spanLengths[l]).as("spans of length %d", l).isPositive();
        }
    }

    @Test
    void theTargetSplicedIntoTheInputAtItsSentinelsGivesBackTheSampleFor1000RandomSamples() {
        var random = new SplittableRandom(11);
        for (long index = 0; index < 1000; index++) {
            int[] tokens = random.ints(random.nextInt(1, 1025), 0, ByteTokenizer.EOS + 1).toArray(); // EOS inside too, as in packed documents
            SpanCorruption.Corrupted c = CORRUPTION.apply(tokens, index);
            SpanCounts counts = SpanNoise.T5.counts(tokens.length);
            assertThat(c.encoderInput()).as("sample %d", index).hasSize(counts.encoderLength()).endsWith(ByteTokenizer.EOS);
            assertThat(c.decoderTarget()).as("sample %d", index).hasSize(counts.decoderLength()).endsWith(ByteTokenizer.EOS)
                    .startsWith(CORRUPTION.sentinels().id(0));
            assertThat(CORRUPTION.restore(c)).as("sample %d", index).isEqualTo(tokens);
        }
    }

    @Test
    void aSentinelIsFollowedInTheTargetByTheSpanItReplaced() {
        int[] tokens = new int[40];
        Arrays.setAll(tokens, i -> 'a' + i % 26);
        boolean[] mask = CORRUPTION.noiseMask(tokens.length, 3);
        SpanCorruption.Corrupted c = CORRUPTION.apply(tokens, 3);
        StringBuilder input = new StringBuilder();
        StringBuilder target = new StringBuilder();
        for (int i = 0, span = 0; i < tokens.length; i++) {
            boolean starts = i == 0 || mask[i] != mask[i - 1];
            if (mask[i]) {
                input.append(starts ? "<" + span + ">" : "");
                target.append((char) tokens[i]);
                span += i + 1 < tokens.length && !mask[i + 1] ? 1 : 0;
            } else {
                input.append((char) tokens[i]);
                target.append(starts ? "<" + span + ">" : "");
            }
        }
        assertThat(render(c.encoderInput())).isEqualTo(input + "</s>");
        assertThat(render(c.decoderTarget())).isEqualTo(target + "</s>");
    }

    @Test
    void theSameSeedAndSampleGiveTheSameCorruptionAndAnotherSampleOrSeedAnother() {
        int[] tokens = new SplittableRandom(5).ints(568, 0, 256).toArray();
        SpanCorruption.Corrupted once = CORRUPTION.apply(tokens, 42);
        SpanCorruption.Corrupted again = SpanCorruption.of(DEBUG, SpanNoise.T5, 1024, ByteTokenizer.EOS, SEED).apply(tokens, 42);
        assertThat(again.encoderInput()).isEqualTo(once.encoderInput());
        assertThat(again.decoderTarget()).isEqualTo(once.decoderTarget());
        assertThat(CORRUPTION.noiseMask(568, 43)).isNotEqualTo(CORRUPTION.noiseMask(568, 42));
        assertThat(SpanCorruption.of(DEBUG, SpanNoise.T5, 1024, ByteTokenizer.EOS, SEED + 1).noiseMask(568, 42))
                .isNotEqualTo(CORRUPTION.noiseMask(568, 42));
        assertThat(CORRUPTION.noiseMask(568, 42)).as("the mask does not depend on the tokens")
                .isEqualTo(CORRUPTION.noiseMask(568, 42));
    }

    @Test
    void sequencesOfOneToFiveTokensAreCorruptedAsT5Does() {
        Sentinels s = CORRUPTION.sentinels();
        int eos = ByteTokenizer.EOS;
        // one token: T5 draws the mask for two and keeps the first, never noise; the target is a lone sentinel
        SpanCorruption.Corrupted one = CORRUPTION.apply(new int[] {'a'}, 0);
        assertThat(one.encoderInput()).containsExactly('a', eos);
        assertThat(one.decoderTarget()).containsExactly(s.id(0), eos);
        assertThat(CORRUPTION.restore(one)).containsExactly('a');
        // two to five: one noise token (round(L x 0.15) clipped to at least 1), one span, after the kept ones: the last token
        for (int length = 2; length <= 5; length++) {
            int[] tokens = Arrays.copyOf(new int[] {'a', 'b', 'c', 'd', 'e'}, length);
            for (long index = 0; index < 20; index++) {
                SpanCorruption.Corrupted c = CORRUPTION.apply(tokens, index);
                int[] input = Arrays.copyOf(tokens, length + 1);
                input[length - 1] = s.id(0);
                input[length] = eos;
                assertThat(c.encoderInput()).as("length %d", length).isEqualTo(input);
                assertThat(c.decoderTarget()).as("length %d", length).containsExactly(s.id(0), tokens[length - 1], eos);
            }
        }
        assertThatThrownBy(() -> CORRUPTION.apply(new int[0], 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one token");
    }

    @Test
    void sentinelsAreTheTopIdsOfThePaddedVocabulary() {
        assertThat(DEBUG.paddedVocab()).isEqualTo(320);
        Sentinels s = CORRUPTION.sentinels();
        assertThat(s.id(0)).isEqualTo(319);
        assertThat(s.id(1)).isEqualTo(318);
        assertThat(s.count()).as("a 1024-token sample has round(154 / 3) spans").isEqualTo(51);
        assertThat(s.first()).isEqualTo(320 - 51).isGreaterThan(ByteTokenizer.EOS);
        assertThatThrownBy(() -> CORRUPTION.apply(new int[] {'a', 300, 'b'}, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token 300 is not a real id below the first sentinel 269");
    }

    @Test
    void aPaddingTooSmallForTheSentinelsIsRefusedNamingBothVocabularyKeys() {
        ModelConfig tight = Settings.load(Settings.Sources.ofPreset("debug", "model.vocab-size=300")).model(); // padded to 320: 20 spare
        assertThat(SpanCorruption.of(tight, SpanNoise.T5, 400, ByteTokenizer.EOS, SEED).sentinels().count()).isEqualTo(20);
        assertThatThrownBy(() -> SpanCorruption.of(tight, SpanNoise.T5, 568, ByteTokenizer.EOS, SEED))
                .isInstanceOf(SettingsException.class)
                .hasMessage("model.pad-vocab-to-multiple-of: span corruption needs 28 sentinel ids at the top of the padded"
                        + " vocabulary (sentinel i = 319 - i), but model.vocab-size = 300 padded to a multiple of 64 is 320,"
                        + " leaving 20; the tokenizer's ids must stay below the first sentinel: raise"
                        + " model.pad-vocab-to-multiple-of to 128 (padding to 384)");
    }

    private static String render(int[] ids) {
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            out.append(id == ByteTokenizer.EOS ? "</s>" : CORRUPTION.sentinels().isSentinel(id)
                    ? "<" + CORRUPTION.sentinels().indexOf(id) + ">" : String.valueOf((char) id));
        }
        return out.toString();
    }
}
