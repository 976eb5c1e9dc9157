package ablate.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Shapes whose derived sizes would overflow are refused at load, naming the key, its origin and the bound. */
class ModelBoundsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            model.layers=100000          | model.layers (--set model.layers=100000): 100,000 is above the largest supported, 65,536; sizes derived from it would overflow
            model.d-model=2097152        | model.d-model (--set model.d-model=2097152): 2,097,152 is above the largest supported, 1,048,576; sizes derived from it would overflow
            model.seq-len=2000000000     | model.seq-len (--set model.seq-len=2000000000): 2,000,000,000 is above the largest supported, 16,777,216
            model.ffn-hidden=2147483647  | model.ffn-hidden (--set model.ffn-hidden=2147483647): 2,147,483,647 is above the largest supported, 4,194,304
            model.mlp-hidden=2147483647  | model.mlp-hidden (--set model.mlp-hidden=2147483647): 2,147,483,647 is above the largest supported, 4,194,304
            model.vocab-size=2147483647  | model.vocab-size (--set model.vocab-size=2147483647): 2147483647 rounded up to a multiple of model.pad-vocab-to-multiple-of = 64 is above 2147483647, the most rows an embedding can have
            model.layers=3000000000      | model.layers (--set model.layers=3000000000): has type out-of-range value 3000000000 rather than 32-bit integer
            """)
    void aShapeBeyondTheBoundsIsRefusedWithItsKeyAndTheBound(String override, String message) {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", override)))
                .isInstanceOf(SettingsException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void theLargestShapeWithinTheBoundsLoads() {
        ModelConfig model = Settings.load(Settings.Sources.ofPreset("debug", "model.layers=65536", "model.d-model=1048576",
                "model.heads=8", "model.seq-len=16777216", "model.vocab-size=2147483520", "model.ffn-hidden=4194304")).model();
        assertThat(model.paddedVocab()).isEqualTo(2_147_483_520);
        assertThat(model.mlpHidden()).isEqualTo(4_194_304);
    }
}
