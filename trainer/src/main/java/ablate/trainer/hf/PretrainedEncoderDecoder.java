package ablate.trainer.hf;

import ablate.conf.ModelConfig;
import ablate.trainer.data.Tokenizer;
import ablate.trainer.model.AvailableMemory;
import ablate.trainer.model.EncoderDecoder;
import ablate.trainer.model.ModelMemory;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * An encoder-decoder with its tokenizer, loaded from a Hugging Face T5 folder ({@link #loadHf}) or
 * from a run, a checkpoint or an {@code import-hf} output ({@link #loadRun}), and written back out
 * as either: {@link Pretrained}'s loading and writing, for {@link EncoderDecoder}. The Hugging Face
 * architecture is t5 (T5ForConditionalGeneration); see {@link Architecture#T5} for how its weights
 * map and {@code HfConfig} for which settings it expresses.
 *
 * @param source where it was loaded from, for reports ("hf t5 DIR", "run CHECKPOINT_DIR")
 */
public record PretrainedEncoderDecoder(ModelConfig config, EncoderDecoder model, Tokenizer tokenizer, String source)
        implements PretrainedModel {

    /**
     * Loads config.json (model_type t5), the safetensors weights and tokenizer.json of a
     * T5ForConditionalGeneration checkpoint, with the same checks before anything is allocated as
     * {@link Pretrained#loadHf(Path, NDManager, int, Function, AvailableMemory)}.
     *
     * @param seqLen the context length to build for, 0 for config.json's n_positions (512 without it)
     * @throws ablate.conf.SettingsException naming model.architecture for a decoder's folder
     */
    public static PretrainedEncoderDecoder loadHf(Path hfDir, NDManager m, int seqLen, Function<ModelConfig, ModelMemory> need,
            AvailableMemory available) throws IOException {
        Pretrained.Loaded<EncoderDecoder> l = Pretrained.loadHf(hfDir, m, new Pretrained.Limits(seqLen, need, available),
                (manager, config) -> new EncoderDecoder(manager, config, 0, false));
        return new PretrainedEncoderDecoder(l.config(), l.model(), l.tokenizer(), l.source());
    }

    /** {@link #loadHf(Path, NDManager, int, Function, AvailableMemory)} at config.json's length, if it fits this machine. */
    public static PretrainedEncoderDecoder loadHf(Path hfDir, NDManager m) throws IOException {
        return loadHf(hfDir, m, 0, ModelMemory::loading, AvailableMemory.of(m.getDevice()));
    }

    /**
     * Loads an encoder-decoder's run, checkpoint or import-hf folder, as
     * {@link Pretrained#loadRun(Path, NDManager, Function, AvailableMemory)} loads a decoder's.
     *
     * @throws ablate.conf.SettingsException naming model.architecture for a decoder's folder
     */
    public static PretrainedEncoderDecoder loadRun(Path dir, NDManager m, Function<ModelConfig, ModelMemory> need,
            AvailableMemory available) throws IOException {
        Pretrained.Loaded<EncoderDecoder> l = Pretrained.loadRun(dir, m, new Pretrained.Limits(0, need, available),
                (manager, config) -> new EncoderDecoder(manager, config, 0, false));
        return new PretrainedEncoderDecoder(l.config(), l.model(), l.tokenizer(), l.source());
    }

    /** {@link #loadRun(Path, NDManager, Function, AvailableMemory)}, if it fits this machine. */
    public static PretrainedEncoderDecoder loadRun(Path dir, NDManager m) throws IOException {
        return loadRun(dir, m, ModelMemory::loading, AvailableMemory.of(m.getDevice()));
    }

    @Override
    public void saveRun(Path out) throws IOException {
        Pretrained.saveRun(new Pretrained.Loaded<>(config, model, tokenizer, source), out);
    }

    /**
     * Writes config.json, model.safetensors (fp32, T5ForConditionalGeneration's names) and, for
     * Hugging Face tokenizers, tokenizer.json, which transformers loads as t5.
     *
     * @throws IllegalArgumentException naming the setting t5 cannot express (learned, rotary or
     *     ALiBi positions, LayerNorm, biases, embedding LayerNorm, grouped-query attention)
     */
    @Override
    public void exportHf(Path out) throws IOException {
        Pretrained.exportHf(new Pretrained.Loaded<>(config, model, tokenizer, source), out);
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
