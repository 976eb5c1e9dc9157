package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** T5's relative attention bias: its buckets, one table per stack, its settings. */
class RelativeBiasTest {
    private static final int[] DISTANCES = {-200, -128, -127, -64, -20, -16, -9, -8, -7, -1, 0, 1, 7, 8, 16, 20, 64, 127, 128, 200};

    /** Expected buckets from torch running transformers' T5Attention._relative_position_bucket (ops/hf/reference_models.t5_bucket). */
    @Test
    void bucketsAreT5s() {
        assertThat(buckets(true, 32, 128)).containsExactly(15, 15, 15, 14, 10, 10, 8, 8, 7, 1, 0, 17, 23, 24, 26, 26, 30, 31, 31, 31);
        assertThat(buckets(false, 32, 128)).containsExactly(31, 31, 31, 26, 17, 16, 9, 8, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        int[] near = IntStream.rangeClosed(-30, 30).map(r -> RelativeBias.bucket(r, true, 16, 24)).toArray();
        assertThat(near).containsExactly(7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 5, 5, 5, 4, 4, 4, 3, 2, 1, 0,
                9, 10, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15);
        int[] before = IntStream.rangeClosed(-20, 0).map(r -> RelativeBias.bucket(r, false, 16, 24)).toArray();
        assertThat(before).containsExactly(14, 14, 13, 13, 13, 12, 12, 11, 10, 10, 9, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    }

    @Test
    void eachStackHasOneTableItsLayersShare() {
        ModelConfig config = Models.encoderDecoder(Position.RELATIVE, Activation.GELU, false);
        try (NDManager m = NDManager.newBaseManager(); EncoderDecoder model = new EncoderDecoder(m, config, 1, false)) {
            assertThat(model.parameters().all().keySet().stream().filter(n -> n.contains("relative")))
                    .containsExactly("encoder.relative_bias", "decoder.relative_bias");
            assertThat(model.parameters().get("encoder.relative_bias").getShape()).isEqualTo(new Shape(32, config.heads()));
        }
        try (NDManager m = NDManager.newBaseManager();
                Gpt gpt = new Gpt(m, Models.debug(Position.RELATIVE, Activation.GELU, false, AttentionMask.CAUSAL), 1, false)) {
            assertThat(gpt.parameters().all().keySet().stream().filter(n -> n.contains("relative"))).containsExactly("relative_bias");
        }
    }

    @Test
    void theBiasOfPositionsZeroToTIsTheTablesRowOfEachBucket() {
        ModelConfig config = Models.debug(Position.RELATIVE, Activation.GELU, false, AttentionMask.CAUSAL);
        try (NDManager m = NDManager.newBaseManager()) {
            Parameters params = new Parameters(m, 3, true);
            RelativeBias bias = new RelativeBias(params, "relative_bias", config, true);
            float[] table = params.get("relative_bias").toFloatArray(); // (32, H)
            int t = 10;
            NDArray forward = bias.forward(t);
            assertThat(forward.getShape()).isEqualTo(new Shape(1, config.heads(), t, t));
            float[] values = forward.toFloatArray();
            for (int h = 0; h < config.heads(); h++) {
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        int bucket = RelativeBias.bucket(j - i, true, 32, 128);
                        assertThat(values[(h * t + i) * t + j]).isEqualTo(table[bucket * config.heads() + h]);
                    }
                }
            }
            NDArray positions = m.arange(0, t, 1, ai.djl.ndarray.types.DataType.INT64).reshape(1, t);
            assertThat(bias.packed(positions).toFloatArray()).as("packed rows at positions 0..t-1").containsExactly(values);
        }
    }

    private static int[] buckets(boolean bidirectional, int numBuckets, int maxDistance) {
        return java.util.Arrays.stream(DISTANCES).map(r -> RelativeBias.bucket(r, bidirectional, numBuckets, maxDistance)).toArray();
    }

    @Test
    void bucketSettingsT5CannotUseAreRefused() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.position=relative", "model.relative-buckets=2")))
                .isInstanceOf(SettingsException.class).hasMessageContaining("model.relative-buckets");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.position=relative", "model.relative-buckets=32",
                "model.relative-max-distance=16"))).isInstanceOf(SettingsException.class).hasMessageContaining("model.relative-max-distance");
        assertThat(Settings.load(Settings.Sources.ofPreset("debug", "model.relative-buckets=2")).model().position())
                .as("unused without position = relative").isEqualTo(Position.LEARNED);
    }
}
