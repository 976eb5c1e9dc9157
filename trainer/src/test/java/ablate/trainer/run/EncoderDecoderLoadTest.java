package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.Settings;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.data.Tokenizers;
import ablate.trainer.hf.Pretrained;
import ablate.trainer.model.EncoderDecoder;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encoder-decoder's weights load back exactly for scoring ({@link Pretrained#loadRun}), after
 * the same header check a decoder's get; a setting Hugging Face t5 cannot express (learned
 * positions) is refused at export naming the key, before anything is written.
 */
class EncoderDecoderLoadTest {
    @TempDir
    Path tmp;

    private static ModelConfig t5() {
        ModelConfig debug = Settings.load(Settings.Sources.ofPreset("debug")).model();
        return debug.withArchitecture(Architecture.ENCODER_DECODER, debug.seqLen());
    }

    @Test
    void aSavedEncoderDecoderLoadsBackBitForBit() throws Exception {
        Path out = tmp.resolve("saved");
        try (NDManager m = NDManager.newBaseManager();
                Pretrained original = new Pretrained(t5(), new EncoderDecoder(m, t5(), 7, true), Tokenizers.load("byte"), "test")) {
            original.saveRun(out);
            try (Pretrained loaded = Pretrained.loadRun(out, m)) {
                assertThat(loaded.model()).isInstanceOf(EncoderDecoder.class);
                assertThat(loaded.config()).isEqualTo(original.config());
                assertThat(bits(loaded.model().parameters().all())).isEqualTo(bits(original.model().parameters().all()));
                Path hf = tmp.resolve("hf");
                assertThatThrownBy(() -> loaded.exportHf(hf)).as("t5 has no learned positions")
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model.position = learned");
                assertThat(hf).doesNotExist();
            }
        }
    }

    @Test
    void aCheckpointMissingACrossAttentionWeightIsRefusedNamingIt() throws Exception {
        Path out = tmp.resolve("saved");
        try (NDManager m = NDManager.newBaseManager();
                Pretrained original = new Pretrained(t5(), new EncoderDecoder(m, t5(), 7, true), Tokenizers.load("byte"), "test")) {
            original.saveRun(out);
            Map<String, NDArray> kept = new LinkedHashMap<>(original.model().parameters().all());
            kept.remove("decoder.h.1.cross.kv.weight");
            Files.delete(out.resolve("model.safetensors"));
            Safetensors.write(out.resolve("model.safetensors"), kept, Map.of("format", "ablate"));
            assertThatThrownBy(() -> Pretrained.loadRun(out, m)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("has no tensor named decoder.h.1.cross.kv.weight");
        }
    }

    private static Map<String, String> bits(Map<String, NDArray> weights) {
        Map<String, String> out = new LinkedHashMap<>();
        weights.forEach((name, w) -> out.put(name, java.util.Arrays.toString(w.toFloatArray())));
        return out;
    }
}
