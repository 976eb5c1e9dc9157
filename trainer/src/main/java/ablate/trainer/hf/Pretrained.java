package ablate.trainer.hf;

import ablate.conf.ModelConfig;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
import ablate.trainer.checkpoint.Manifest;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.data.PreparedCorpus;
import ablate.trainer.data.Tokenizer;
import ablate.trainer.data.Tokenizers;
import ablate.trainer.model.AvailableMemory;
import ablate.trainer.model.Gpt;
import ablate.trainer.model.LanguageModel;
import ablate.trainer.model.ModelMemory;
import ablate.trainer.model.ModelSize;
import ablate.trainer.model.ShapeLimits;
import ablate.trainer.run.RunDirectory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model ready to score text: its config, weights and tokenizer, loaded from a Hugging Face
 * checkpoint folder ({@link #loadHf}: a decoder) or from a run, a checkpoint or an {@code
 * import-hf} output ({@link #loadRun}: a decoder or an encoder-decoder). It writes itself back out
 * as either ({@link #saveRun}, {@link #exportHf}: decoders only).
 *
 * @param source where it was loaded from, for reports ("hf gpt2 DIR", "run CHECKPOINT_DIR")
 */
public record Pretrained(ModelConfig config, LanguageModel model, Tokenizer tokenizer, String source) implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pretrained.class);
    /** The files of an {@code import-hf} output besides config.conf. */
    static final String MODEL = Checkpoint.MODEL;
    static final String TOKENIZER = "tokenizer.json";

    /** Loads a Hugging Face folder with the context length its config.json gives. */
    public static Pretrained loadHf(Path hfDir, NDManager m) throws IOException {
        return loadHf(hfDir, m, 0);
    }

    /** Loads a Hugging Face folder, refusing a model whose {@link ModelMemory#loading} estimate does not fit this machine. */
    public static Pretrained loadHf(Path hfDir, NDManager m, int seqLen) throws IOException {
        return loadHf(hfDir, m, seqLen, ModelMemory::loading, AvailableMemory.of(m.getDevice()));
    }

    /**
     * Loads config.json, the safetensors weights (single or sharded; F32, F16 or BF16, widened to
     * fp32) and tokenizer.json of a GPT-2, BLOOM, GPT-NeoX or LLaMA checkpoint. Before anything is
     * allocated, config.json is checked against the safetensors headers (sizes first, then every
     * tensor's presence and shape) and the model's memory against what is available.
     *
     * @param seqLen the context length to build for, 0 for the config's (attention masks take
     *     seq-len^2 floats, so a model with a very long context may be built shorter)
     * @param need what the caller will do with the model, as a memory estimate of its config
     * @throws IllegalArgumentException naming the file and config.json key or tensor that cannot be
     *     used, or with the memory estimate and what is available
     */
    public static Pretrained loadHf(Path hfDir, NDManager m, int seqLen, Function<ModelConfig, ModelMemory> need,
            AvailableMemory available) throws IOException {
        Path configJson = requireFile(hfDir, "config.json", "a Hugging Face checkpoint folder");
        Path tokenizerJson = requireFile(hfDir, TOKENIZER, "a Hugging Face checkpoint folder");
        HfConfig.Imported imported = HfConfig.read(configJson);
        HfCheckpoint checkpoint = HfCheckpoint.open(hfDir); // headers only
        checkpoint.checkSizes(configJson, imported); // before the settings' own bounds: a mismatch is the better message
        Map<String, Object> settings = new LinkedHashMap<>(imported.settings());
        if (seqLen > 0) {
            settings.put("seq-len", seqLen);
        }
        ModelConfig config = parseModel(settings);
        ShapeLimits.check(config);
        HfWeights.check(imported.architecture(), checkpoint, config, hfDir);
        need.apply(config).requireFits(available);
        Tokenizer tokenizer = Tokenizers.load(tokenizerJson.toString());
        Gpt gpt;
        try {
            gpt = new Gpt(m, config, 0, false);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        try {
            HfWeights.load(imported.architecture(), checkpoint, gpt);
            checkVocab(tokenizer, config, tokenizerJson);
        } catch (RuntimeException | IOException e) {
            gpt.close();
            tokenizer.close();
            throw e;
        }
        return new Pretrained(config, gpt, tokenizer, "hf " + imported.architecture().modelType + " " + hfDir);
    }

    /** Loads a run, checkpoint or import-hf folder, refusing a model whose {@link ModelMemory#loading} estimate does not fit. */
    public static Pretrained loadRun(Path dir, NDManager m) throws IOException {
        return loadRun(dir, m, ModelMemory::loading, AvailableMemory.of(m.getDevice()));
    }

    /**
     * Loads a run folder (its newest valid checkpoint, see {@link Checkpoints#latestCommitted}: a
     * read-only lookup, so a run may be training meanwhile), one
     * checkpoint folder ({@code step-N}), or an {@code import-hf} output folder. The tokenizer is
     * the folder's tokenizer.json when there is one, else the run's: the byte tokenizer for the
     * built-in corpus, or the one its first prepared corpus was tokenized with. Before anything is
     * allocated, model.safetensors's header is checked against config.conf and the model's memory
     * against what is available. The model is a {@link Gpt} or an {@link
     * ablate.trainer.model.EncoderDecoder}, as the config's model.architecture says.
     *
     * @param need what the caller will do with the model, as a memory estimate of its config
     */
    public static Pretrained loadRun(Path dir, NDManager m, Function<ModelConfig, ModelMemory> need, AvailableMemory available)
            throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a folder");
        }
        Path weightsDir;
        Path runRoot = dir;
        RunDirectory run = new RunDirectory(dir);
        if (Files.isDirectory(run.checkpoints())) {
            Checkpoint latest = new Checkpoints(run.checkpoints(), Integer.MAX_VALUE).latestCommitted()
                    .orElseThrow(() -> new IllegalArgumentException(run.checkpoints() + " holds no valid checkpoint"));
            weightsDir = latest.dir();
        } else if (Files.isRegularFile(dir.resolve(Manifest.FILE))) {
            Checkpoint checkpoint = new Checkpoint(dir, Manifest.read(dir).step());
            checkpoint.verify();
            weightsDir = dir;
            runRoot = dir.getParent() != null && dir.getParent().getParent() != null ? dir.getParent().getParent() : dir;
        } else if (Files.isRegularFile(dir.resolve(RunDirectory.CONFIG)) && Files.isRegularFile(dir.resolve(MODEL))) {
            weightsDir = dir;
        } else {
            throw new IllegalArgumentException(dir + " is neither a run folder (config.conf and checkpoints/), a checkpoint "
                    + "folder (manifest.json) nor an `ablate import-hf` output (config.conf and " + MODEL + ")");
        }
        RunConfig runConfig = Settings.parse(Settings.parseFile(weightsDir.resolve(RunDirectory.CONFIG)));
        ModelConfig config = runConfig.model();
        ShapeLimits.check(config);
        try {
            checkHeader(weightsDir, config);
        } catch (java.nio.file.NoSuchFileException e) {
            throw pruned(weightsDir, e);
        }
        need.apply(config).requireFits(available);
        Tokenizer tokenizer = runTokenizer(runConfig, weightsDir, runRoot);
        LanguageModel model;
        try {
            model = LanguageModel.toLoad(m, config);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        try {
            Safetensors.readInto(weightsDir.resolve(MODEL), model.parameters().all());
            checkVocab(tokenizer, config, weightsDir);
        } catch (java.nio.file.NoSuchFileException e) {
            model.close();
            tokenizer.close();
            throw pruned(weightsDir, e);
        } catch (RuntimeException | IOException e) {
            model.close();
            tokenizer.close();
            throw e;
        }
        return new Pretrained(config, model, tokenizer, "run " + weightsDir);
    }

    /**
     * Writes an {@code import-hf} output folder that {@link #loadRun} reads: config.conf (a full
     * run config whose model block is this model), model.safetensors (ablate's names, fp32) and,
     * for Hugging Face tokenizers, tokenizer.json.
     */
    public void saveRun(Path out) throws IOException {
        createEmpty(out);
        Map<String, Object> keys = new LinkedHashMap<>();
        config.toSettings().forEach((k, v) -> keys.put("model." + k, v));
        RunConfig run = Settings.parse(ConfigFactory.parseMap(keys, "import-hf of " + source));
        Files.writeString(out.resolve(RunDirectory.CONFIG), "# ablate import-hf of " + source + "\n" + run.render());
        Safetensors.write(out.resolve(MODEL), model.parameters().all(), Map.of("format", "ablate", "source", source));
        copyTokenizer(out);
    }

    /**
     * Writes config.json, model.safetensors (fp32, Hugging Face names and layouts) and, for Hugging
     * Face tokenizers, tokenizer.json, which transformers loads as the architecture that expresses
     * this model (learned positions: gpt2; ALiBi: bloom; rotary with GELU: gpt_neox; rotary with
     * SwiGLU and RMSNorm: llama).
     *
     * @throws IllegalArgumentException naming the setting no architecture can express, and the closest one
     */
    public void exportHf(Path out) throws IOException {
        Gpt gpt = decoder(); // an encoder-decoder loads for scoring, but has no Hugging Face form here yet
        Architecture arch = HfConfig.architectureFor(config);
        createEmpty(out);
        var json = HfConfig.write(config, arch, tokenizer.eosId());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(), json);
        HfWeights.export(arch, gpt, out.resolve(HfCheckpoint.SINGLE));
        copyTokenizer(out);
        log.info("exported {} as {} to {}", source, arch.modelType, out);
    }

    /**
     * The model as a decoder, for what takes decoders only.
     *
     * @throws ablate.conf.SettingsException naming model.architecture for an encoder-decoder
     */
    public Gpt decoder() {
        Gpt.requireDecoder(config);
        return (Gpt) model;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }

    private void copyTokenizer(Path out) throws IOException {
        if (tokenizer.spec().equals("byte")) {
            log.warn("the byte tokenizer has no tokenizer.json; {} holds none", out);
            return;
        }
        Path file = Path.of(tokenizer.spec());
        Files.copy(Files.isDirectory(file) ? file.resolve(TOKENIZER) : file, out.resolve(TOKENIZER), StandardCopyOption.COPY_ATTRIBUTES);
    }

    /**
     * The tokenizer of a run's checkpoint folder ({@code RUN_DIR/checkpoints/step-N}) as {@link
     * #loadRun} finds it, without loading the weights: what planning a checkpoint's requests needs.
     */
    public static Tokenizer checkpointTokenizer(Path checkpointDir) {
        RunConfig runConfig = Settings.parse(Settings.parseFile(checkpointDir.resolve(RunDirectory.CONFIG)));
        Path runRoot = checkpointDir.getParent() != null && checkpointDir.getParent().getParent() != null
                ? checkpointDir.getParent().getParent() : checkpointDir;
        return runTokenizer(runConfig, checkpointDir, runRoot);
    }

    private static Tokenizer runTokenizer(RunConfig run, Path weightsDir, Path runRoot) {
        for (Path dir : List.of(weightsDir, runRoot)) {
            if (Files.isRegularFile(dir.resolve(TOKENIZER))) {
                return Tokenizers.load(dir.resolve(TOKENIZER).toString());
            }
        }
        if (run.data().builtin()) {
            return Tokenizers.load("byte");
        }
        Path corpus = Path.of(run.data().corpora().getFirst().path());
        if (!Files.isDirectory(corpus) && Files.isDirectory(runRoot.resolve(corpus))) {
            corpus = runRoot.resolve(corpus);
        }
        if (!Files.isDirectory(corpus)) {
            throw new IllegalArgumentException("the run's tokenizer is that of its corpus " + corpus
                    + ", which is not here; put the tokenizer.json beside " + weightsDir);
        }
        try (PreparedCorpus prepared = PreparedCorpus.open(corpus)) {
            return Tokenizers.load(prepared.tokenizerSpec());
        }
    }

    private static IOException pruned(Path weightsDir, java.nio.file.NoSuchFileException e) {
        return new IOException("checkpoint " + weightsDir + " was deleted while it was being read (its run pruned it:"
                + " checkpoint.keep); read the run folder again to get its newest checkpoint", e);
    }

    /**
     * Fails, before anything is allocated, unless the folder's model.safetensors holds exactly the
     * weights its config.conf describes, each of its shape: the layer count first (the block
     * indices of the tensor names), then every tensor.
     */
    private static void checkHeader(Path weightsDir, ModelConfig config) throws IOException {
        Path file = weightsDir.resolve(MODEL);
        Path conf = weightsDir.resolve(RunDirectory.CONFIG);
        Map<String, Safetensors.Entry> stored = Safetensors.entries(file);
        List<String> layers = HfCheckpoint.layersIn(stored.keySet());
        if (layers.size() != config.layers()) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s says model.layers = %d but %s holds weights"
                    + " for %d layers (%s)", conf, config.layers(), file, layers.size(), HfCheckpoint.describe(layers)));
        }
        Map<String, Shape> expected = new ModelSize(config).shapes();
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            Safetensors.Entry entry = stored.get(e.getKey());
            if (entry == null) {
                throw new IllegalArgumentException(file + " has no tensor named " + e.getKey() + ", which the model of " + conf + " has");
            }
            if (!new Shape(entry.shape()).equals(e.getValue())) {
                throw new IllegalArgumentException(file + ": " + e.getKey() + " has shape " + new Shape(entry.shape()) + " where "
                        + conf + " implies " + e.getValue());
            }
        }
        for (String name : stored.keySet()) {
            if (!expected.containsKey(name)) {
                throw new IllegalArgumentException(file + " holds " + name + ", which the model of " + conf + " does not have");
            }
        }
    }

    private static ModelConfig parseModel(Map<String, Object> settings) {
        Map<String, Object> keys = new LinkedHashMap<>();
        settings.forEach((k, v) -> keys.put("model." + k, v));
        return Settings.parse(ConfigFactory.parseMap(keys, "config.json")).model();
    }

    private static void checkVocab(Tokenizer tokenizer, ModelConfig config, Path where) {
        if (tokenizer.vocabSize() > config.paddedVocab()) {
            throw new IllegalArgumentException(where + ": the tokenizer has " + tokenizer.vocabSize()
                    + " ids, more than the model's " + config.paddedVocab() + " embedding rows");
        }
    }

    private static Path requireFile(Path dir, String name, String what) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a folder (expected " + what + ")");
        }
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " has no " + name + " (expected " + what + ")");
        }
        return file;
    }

    private static void createEmpty(Path out) throws IOException {
        if (Files.exists(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException(out + " is not empty; choose a new folder");
                }
            }
        }
        Files.createDirectories(out);
    }
}
