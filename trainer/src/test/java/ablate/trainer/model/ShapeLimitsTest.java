package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.ModelConfig;
import ablate.conf.Presets;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ai.djl.ndarray.NDManager;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Shapes within ModelConfig's bounds that this code still cannot build or checkpoint are refused
 * before anything is allocated, naming the key, what it leads to and the bound.
 */
class ShapeLimitsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a token embedding over 2 GiB | model.vocab-size=600000,model.d-model=1024,model.heads=8 | model.vocab-size (--set model.vocab-size=600000): the token embedding (padded vocabulary 600000 x d-model 1024) has 614,400,000 elements, above the 536,870,911 (2 GiB of fp32) a single tensor is limited to here
            a learned position table     | model.seq-len=40000,model.d-model=16384,model.heads=8   | model.seq-len (--set model.seq-len=40000): the position embedding (seq-len 40000 x d-model 16384) has 655,360,000 elements
            a QKV projection             | model.d-model=16384,model.heads=8,model.vocab-size=256   | model.d-model (--set model.d-model=16384): the fused QKV projection (49152 x d-model 16384) has 805,306,368 elements
            a wide MLP                   | model.mlp-hidden=1048576,model.d-model=1024,model.heads=8 | model.mlp-hidden (--set model.mlp-hidden=1048576): an MLP matrix (hidden 1048576 x d-model 1024) has 1,073,741,824 elements
            an attention mask            | model.seq-len=50000,model.position=rotary               | model.seq-len (--set model.seq-len=50000): 50,000 is above 46,340: the attention mask of seq-len x seq-len entries would pass the 2,147,483,647 one Java array holds
            ALiBi biases                 | model.seq-len=40000,model.position=alibi                | model.seq-len (--set model.seq-len=40000): with ALiBi the biases of 4 heads x 40,000 x 40,000 positions are 6,400,000,000 entries
            a micro-batch                | model.seq-len=40000,model.position=rotary,train.micro-batch-size=60000,train.global-batch-size=60000 | train.micro-batch-size (--set train.micro-batch-size=60000): 60,000 sequences of model.seq-len = 40,000 are 2,400,000,000 tokens, above the 2,147,483,647 one micro-batch can index
            """)
    void aShapeTheCodeCannotHoldIsRefusedNamingItsKey(String what, String overrides, String message) {
        RunConfig run = Settings.load(Settings.Sources.ofPreset("debug", overrides.split(",")));
        assertThatThrownBy(() -> ShapeLimits.check(run)).isInstanceOf(SettingsException.class).hasMessageStartingWith(message);
    }

    @Test
    void aModelIsRefusedBeforeAnyWeightIsAllocated() {
        ModelConfig huge = Settings.load(Settings.Sources.ofPreset("debug", "model.vocab-size=600000", "model.d-model=1024",
                "model.heads=8")).model();
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> new Gpt(manager, huge, 1, false)).isInstanceOf(SettingsException.class)
                    .hasMessageStartingWith("model.vocab-size: the token embedding");
        }
    }

    @Test
    void everyPresetThatCanBeTrainedPasses() {
        for (String preset : Presets.ALL) {
            if (!preset.equals("176b")) {
                ShapeLimits.check(Settings.load(Settings.Sources.ofPreset(preset)));
            }
        }
        assertThatThrownBy(() -> ShapeLimits.check(Settings.load(Settings.Sources.ofPreset("176b"))))
                .hasMessageContaining("the token embedding (padded vocabulary 250880 x d-model 14336) has 3,596,615,680 elements");
    }

    /** At ModelConfig's bounds every count is still exact: the long arithmetic agrees with BigInteger. */
    @Test
    void theLargestAcceptedShapeIsCountedWithoutOverflow() {
        ModelConfig max = Settings.load(Settings.Sources.ofPreset("debug", "model.layers=65536", "model.d-model=1048576",
                "model.heads=8", "model.seq-len=16777216", "model.vocab-size=2147483520", "model.ffn-hidden=4194304",
                "model.position=learned", "model.activation=swiglu", "model.mlp-hidden=4194304", "model.tied-output=false")).model();
        ModelSize size = new ModelSize(max);
        BigInteger d = BigInteger.valueOf(max.dModel());
        BigInteger h = BigInteger.valueOf(max.mlpHidden());
        BigInteger perLayer = d.multiply(d).multiply(BigInteger.valueOf(4)) // qkv (3d x d) and proj (d x d)
                .add(d.multiply(h).multiply(BigInteger.valueOf(3))) // SwiGLU's three matrices
                .add(d.multiply(BigInteger.valueOf(3 + 1 + 1))).add(h.multiply(BigInteger.TWO)) // biases: qkv, proj, MLP out; w1 and w3
                .add(d.multiply(BigInteger.valueOf(4))); // two LayerNorms
        assertThat(BigInteger.valueOf(size.perLayer())).isEqualTo(perLayer);
        BigInteger embeddings = BigInteger.valueOf(max.paddedVocab()).multiply(d).multiply(BigInteger.TWO)
                .add(BigInteger.valueOf(max.seqLen()).multiply(d));
        BigInteger total = perLayer.multiply(BigInteger.valueOf(max.layers())).add(embeddings).add(d.multiply(BigInteger.TWO));
        assertThat(BigInteger.valueOf(size.total())).isEqualTo(total);
        assertThat(size.flopsPerToken()).isFinite().isPositive();
    }
}
