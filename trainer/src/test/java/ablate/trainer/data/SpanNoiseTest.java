package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The counts and lengths of span corruption against T5's random_spans_noise_mask and random_spans_helper. */
class SpanNoiseTest {

    @Test
    void anEncoderInputOf512TokensTakes568TokensAndATargetOf114AsInT5() {
        // t5.data.preprocessors.random_spans_helper(inputs_length=512, noise_density=0.15,
        // mean_noise_span_length=3.0, extra_tokens_per_span_inputs=1, extra_tokens_per_span_targets=1)
        // returns (568, 114), the lengths of T5's span-corruption pretraining
        SpanCounts counts = SpanNoise.T5.forEncoderLength(512);
        assertThat(counts.length()).isEqualTo(568);
        assertThat(counts.decoderLength()).isEqualTo(114);
        assertThat(counts.encoderLength()).isEqualTo(512);
        assertThat(counts.noiseTokens()).isEqualTo(85);
        assertThat(counts.noiseSpans()).isEqualTo(28);
    }

    @Test
    void theHelperFindsTheLongestSequenceWhoseInputFits() {
        for (SpanNoise noise : new SpanNoise[] {SpanNoise.T5, new SpanNoise(0.5, 3), new SpanNoise(0.3, 1), new SpanNoise(0.15, 8)}) {
            for (int input = 2; input <= 2048; input++) {
                SpanCounts counts = noise.forEncoderLength(input);
                assertThat(counts.encoderLength()).as("%s, input %d", noise, input).isLessThanOrEqualTo(input);
                assertThat(noise.counts(counts.length() + 1).encoderLength()).as("%s, input %d", noise, input).isGreaterThan(input);
            }
        }
    }

    @Test
    void countsRoundHalfToEvenInDoublePrecisionAsT5sHelperDoes() {
        assertThat(SpanNoise.T5.counts(30).noiseTokens()).as("30 x 0.15 = 4.5 rounds to 4, as Python's round(4.5)").isEqualTo(4);
        assertThat(SpanNoise.T5.counts(10).noiseTokens()).as("1.5 rounds to 2").isEqualTo(2);
        assertThat(SpanNoise.T5.counts(100).noiseSpans()).as("15 / 3").isEqualTo(5);
    }

    @Test
    void spanCountsNeverFallAsASampleGrows() {
        for (SpanNoise noise : new SpanNoise[] {SpanNoise.T5, new SpanNoise(0.5, 1), new SpanNoise(0.95, 1), new SpanNoise(0.01, 7.5)}) {
            for (int length = 1; length < 5000; length++) {
                assertThat(noise.counts(length + 1).sentinels()).as("%s at %d", noise, length)
                        .isGreaterThanOrEqualTo(noise.counts(length).sentinels());
            }
        }
    }

    @Test
    void shortSequencesFollowT5sGuards() {
        // T5: noise tokens clipped to [1, length - 1], at least one span, a one-token sequence drawn as two and cut back
        assertThat(SpanNoise.T5.counts(1)).isEqualTo(new SpanCounts(1, 0, 0));
        for (int length = 2; length <= 5; length++) {
            assertThat(SpanNoise.T5.counts(length)).isEqualTo(new SpanCounts(length, 1, 1));
        }
        assertThat(SpanNoise.T5.counts(1).encoderLength()).isEqualTo(2);
        assertThat(SpanNoise.T5.counts(1).decoderLength()).as("one sentinel for the kept token, and EOS").isEqualTo(2);
    }

    @Test
    void aDensityNearOneNeverAsksForMoreSpansThanKeptTokensCanSeparate() {
        // T5 fails here (its segmentation of 1 kept token into 3 spans); the spans are capped instead
        SpanCounts counts = new SpanNoise(0.9, 1).counts(10);
        assertThat(counts.noiseTokens()).isEqualTo(9);
        assertThat(counts.noiseSpans()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 1.0, -0.1, 1.5, Double.NaN})
    void aDensityOutsideZeroToOneIsRefused(double density) {
        assertThatThrownBy(() -> new SpanNoise(density, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("noise density must be in (0, 1)");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.5, Double.POSITIVE_INFINITY, Double.NaN})
    void aMeanSpanBelowOneIsRefused(double mean) {
        assertThatThrownBy(() -> new SpanNoise(0.15, mean)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mean span length must be a finite number >= 1");
    }
}
