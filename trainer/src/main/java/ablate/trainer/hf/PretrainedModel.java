package ablate.trainer.hf;

import ablate.conf.ModelConfig;
import ablate.trainer.data.Tokenizer;
import ablate.trainer.model.AvailableMemory;
import ablate.trainer.model.EncoderDecoder;
import ablate.trainer.model.Gpt;
import ablate.trainer.model.LanguageModel;
import ablate.trainer.model.ModelMemory;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A model with its tokenizer, loaded from a Hugging Face folder or a run, whatever its
 * architecture: a decoder ({@link Pretrained}) or an encoder-decoder ({@link PretrainedEncoderDecoder}).
 * What {@code import-hf} and {@code export-hf} convert.
 */
public sealed interface PretrainedModel extends AutoCloseable permits Pretrained, PretrainedEncoderDecoder {

    ModelConfig config();

    LanguageModel model();

    Tokenizer tokenizer();

    /** Where it was loaded from, for reports ("hf t5 DIR", "run CHECKPOINT_DIR"). */
    String source();

    /** Writes an {@code import-hf} output folder (config.conf, model.safetensors, tokenizer.json). */
    void saveRun(Path out) throws IOException;

    /**
     * Writes config.json, model.safetensors and tokenizer.json as the Hugging Face architecture
     * that expresses this model.
     *
     * @throws IllegalArgumentException naming the setting no architecture can express
     */
    void exportHf(Path out) throws IOException;

    @Override
    void close();

    /**
     * Loads a Hugging Face folder as a decoder or, for model_type t5, an encoder-decoder; see
     * {@link Pretrained#loadHf(Path, NDManager, int, Function, AvailableMemory)} for the checks.
     */
    static PretrainedModel loadHf(Path hfDir, NDManager m, int seqLen, Function<ModelConfig, ModelMemory> need,
            AvailableMemory available) throws IOException {
        return of(Pretrained.loadHf(hfDir, m, new Pretrained.Limits(seqLen, need, available), PretrainedModel::build));
    }

    /**
     * Loads a run, checkpoint or import-hf folder as the architecture its config.conf names; see
     * {@link Pretrained#loadRun(Path, NDManager, Function, AvailableMemory)} for the checks.
     */
    static PretrainedModel loadRun(Path dir, NDManager m, Function<ModelConfig, ModelMemory> need, AvailableMemory available)
            throws IOException {
        return of(Pretrained.loadRun(dir, m, new Pretrained.Limits(0, need, available), PretrainedModel::build));
    }

    private static LanguageModel build(NDManager m, ModelConfig config) {
        return config.architecture() == ablate.conf.Architecture.ENCODER_DECODER
                ? new EncoderDecoder(m, config, 0, false)
                : new Gpt(m, config, 0, false);
    }

    private static PretrainedModel of(Pretrained.Loaded<LanguageModel> l) {
        return switch (l.model()) {
            case Gpt gpt -> new Pretrained(l.config(), gpt, l.tokenizer(), l.source());
            case EncoderDecoder encoderDecoder -> new PretrainedEncoderDecoder(l.config(), encoderDecoder, l.tokenizer(), l.source());
        };
    }
}
