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
import ablate.trainer.model.EncoderDecoder;
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
 * checkpoint folder ({@link #loadHf}) or from a run, a checkpoint or an {@code import-hf} output
 * ({@link #loadRun}), as the architecture the folder names: a {@link Gpt} or an {@link
 * EncoderDecoder} (Hugging Face t5). It writes itself back out as either ({@link #saveRun}, {@link
 * #exportHf}). The one way {@code ablate eval}, the cluster's evaluators, {@code import-hf} and
 * {@code export-hf} load a model.
 *
 * @param source where it was loaded from, for reports ("hf gpt2 DIR", "run CHECKPOINT_DIR")
 * @param decoderStart the token an encoder-decoder's decoder starts with: EOS for ablate's (see
 *     {@code SpanPairs}), config.json's decoder_start_token_id for a Hugging Face t5 folder (and
 *     for its {@code import-hf} output, which records it); EOS for a decoder, which has no start
 */
public record Pretrained(ModelConfig config, LanguageModel model, Tokenizer tokenizer, String source, int decoderStart)
        implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pretrained.class);
    /** model.safetensors metadata of an import-hf output whose decoder does not start with EOS. */
    private static final String DECODER_START = "decoder_start_token_id";
    /** The files of an {@code import-hf} output besides config.conf. */
    static final String MODEL = Checkpoint.MODEL;
    static final String TOKENIZER = "tokenizer.json";

    /** A model whose decoder, if it has one, starts with EOS, as ablate's do. */
    public Pretrained(ModelConfig config, LanguageModel model, Tokenizer tokenizer, String source) {
        this(config, model, tokenizer, source, tokenizer.eosId());
    }

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
     * fp32) and tokenizer.json of a GPT-2, BLOOM, GPT-NeoX or LLaMA checkpoint (a {@link Gpt}) or
     * of a T5ForConditionalGeneration one (an {@link EncoderDecoder}). Before anything is
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
        // T5's decoder starts with its decoder_start_token_id (transformers' default: pad, 0), ablate's with EOS
        int start = imported.architecture() == Architecture.T5
                ? new ObjectMapper().readTree(configJson.toFile()).path(DECODER_START).asInt(0) : -1;
        if (start >= config.paddedVocab()) {
            throw new IllegalArgumentException(configJson + " says " + DECODER_START + " = " + start + ", outside its vocab_size of "
                    + config.paddedVocab());
        }
        Tokenizer tokenizer = Tokenizers.load(tokenizerJson.toString());
        LanguageModel model;
        try {
            model = LanguageModel.toLoad(m, config);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        try {
            HfWeights.load(imported.architecture(), checkpoint, model);
            checkVocab(tokenizer, config, tokenizerJson);
        } catch (RuntimeException | IOException e) {
            model.close();
            tokenizer.close();
            throw e;
        }
        return new Pretrained(config, model, tokenizer, "hf " + imported.architecture().modelType + " " + hfDir,
                start >= 0 ? start : tokenizer.eosId());
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
        int start;
        try {
            Safetensors.readInto(weightsDir.resolve(MODEL), model.parameters().all());
            checkVocab(tokenizer, config, weightsDir);
            start = decoderStart(weightsDir, tokenizer);
        } catch (java.nio.file.NoSuchFileException e) {
            model.close();
            tokenizer.close();
            throw pruned(weightsDir, e);
        } catch (RuntimeException | IOException e) {
            model.close();
            tokenizer.close();
            throw e;
        }
        return new Pretrained(config, model, tokenizer, "run " + weightsDir, start);
    }

    /**
     * Writes an {@code import-hf} output folder that {@link #loadRun} reads: config.conf (a full
     * run config whose model block is this model), model.safetensors (ablate's names, fp32) and,
     * for Hugging Face tokenizers, tokenizer.json. A decoder start other than EOS is recorded in
     * model.safetensors's metadata, so the folder loads with it.
     */
    public void saveRun(Path out) throws IOException {
        createEmpty(out);
        Map<String, Object> keys = new LinkedHashMap<>();
        config.toSettings().forEach((k, v) -> keys.put("model." + k, v));
        RunConfig run = Settings.parse(ConfigFactory.parseMap(keys, "import-hf of " + source));
        Files.writeString(out.resolve(RunDirectory.CONFIG), "# ablate import-hf of " + source + "\n" + run.render());
        Map<String, String> metadata = new LinkedHashMap<>(Map.of("format", "ablate", "source", source));
        if (decoderStart != tokenizer.eosId()) {
            metadata.put(DECODER_START, Integer.toString(decoderStart));
        }
        Safetensors.write(out.resolve(MODEL), model.parameters().all(), metadata);
        copyTokenizer(tokenizer, out);
    }

    /**
     * Writes config.json, model.safetensors (fp32, Hugging Face names and layouts) and, for Hugging
     * Face tokenizers, tokenizer.json, which transformers loads as the architecture that expresses
     * this model (learned positions: gpt2; ALiBi: bloom; rotary with GELU or ReLU: gpt_neox; rotary
     * with SwiGLU or GEGLU and RMSNorm: llama; an encoder-decoder: t5, its decoder_start_token_id EOS).
     *
     * @throws IllegalArgumentException naming the setting no architecture can express, and the closest one
     */
    public void exportHf(Path out) throws IOException {
        Architecture arch = HfConfig.architectureFor(config);
        createEmpty(out);
        var json = HfConfig.write(config, arch, tokenizer.eosId());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(), json);
        HfWeights.export(arch, model, out.resolve(HfCheckpoint.SINGLE));
        copyTokenizer(tokenizer, out);
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

    /**
     * The model as an encoder-decoder, for what takes encoder-decoders only.
     *
     * @throws ablate.conf.SettingsException naming model.architecture for a decoder
     */
    public EncoderDecoder encoderDecoder() {
        if (!(model instanceof EncoderDecoder encoderDecoder)) {
            throw ablate.conf.SettingsException.of("model.architecture", config.architecture().key()
                    + " is a decoder; this takes an encoder-decoder (model.architecture = encoder-decoder)");
        }
        return encoderDecoder;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }

    private static void copyTokenizer(Tokenizer tokenizer, Path out) throws IOException {
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

    /**
     * The token the decoder of a run's checkpoint folder or an {@code import-hf} output starts with,
     * as {@link #loadRun} finds it, from model.safetensors's header alone: what planning a
     * checkpoint's requests needs. EOS unless the metadata records another (an imported t5's).
     */
    public static int checkpointDecoderStart(Path checkpointDir, Tokenizer tokenizer) {
        try {
            return decoderStart(checkpointDir, tokenizer);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the header of " + checkpointDir.resolve(MODEL), e);
        }
    }

    private static int decoderStart(Path weightsDir, Tokenizer tokenizer) throws IOException {
        String recorded = Safetensors.metadata(weightsDir.resolve(MODEL)).get(DECODER_START);
        return recorded != null ? Integer.parseInt(recorded) : tokenizer.eosId();
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
