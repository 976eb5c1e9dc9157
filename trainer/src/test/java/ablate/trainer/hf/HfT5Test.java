package ablate.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.cli.ExportHfCommand;
import ablate.trainer.cli.ImportHfCommand;
import ablate.trainer.cli.TrainCommand;
import ablate.trainer.data.Tokenizers;
import ablate.trainer.model.Batch;
import ablate.trainer.model.EncoderDecoder;
import ablate.trainer.model.Models;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Hugging Face T5 (T5ForConditionalGeneration) and ablate's encoder-decoder: the tiny random T5s
 * under src/test/resources/hf/t5 (gated-silu, untied, 16 buckets up to distance 24), t5-tied
 * (GELU, tied head, T5's default buckets), t5-v1_0 (relu, tied head: t5-small's choices) and
 * t5-v1_1 (gated-gelu, untied: T5 v1.1's and Flan-T5's) import with their reference logits and
 * export back to the same tensors; ablate's own encoder-decoders that t5 expresses survive export and import
 * bitwise; the rest is refused naming the setting or the config.json key. The fixtures come from
 * ops/hf/reference_models.py (a plain-torch re-implementation of transformers' T5 forward pass;
 * ops/hf/make_fixtures.py writes them from transformers itself).
 */
class HfT5Test {
    static {
        Models.debug(); // configures libtorch threads
    }

    /** The keys of a T5 config.json that define the model (token ids aside: ablate's decoder starts with EOS). */
    private static final List<String> MODEL_KEYS = List.of("architectures", "model_type", "vocab_size", "d_model", "d_kv", "d_ff",
            "num_layers", "num_decoder_layers", "num_heads", "relative_attention_num_buckets", "relative_attention_max_distance",
            "feed_forward_proj", "layer_norm_epsilon", "tie_word_embeddings", "is_encoder_decoder", "n_positions");

    @TempDir
    Path tmp;

    /** A T5 fixture's activation as imported, and whether its head is tied. */
    private record Fixture(Activation activation, boolean tied) {}

    private static final Map<String, Fixture> FIXTURES = Map.of("t5", new Fixture(Activation.SWIGLU, false),
            "t5-tied", new Fixture(Activation.GELU, true), "t5-v1_0", new Fixture(Activation.RELU, true),
            "t5-v1_1", new Fixture(Activation.GEGLU, false));

    @ParameterizedTest
    @ValueSource(strings = {"t5", "t5-tied", "t5-v1_0", "t5-v1_1"})
    void importedLogitsMatchTheReference(String name) throws Exception {
        Path dir = HfImportTest.fixture(name);
        Path reference = dir.resolve("reference.safetensors");
        long[] shape = Safetensors.entries(reference).get("logits").shape();
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(dir, m)) {
            assertThat(p.config().position()).isEqualTo(Position.RELATIVE);
            assertThat(p.config().activation()).isEqualTo(FIXTURES.get(name).activation());
            assertThat(p.config().tiedOutput()).isEqualTo(FIXTURES.get(name).tied());
            if (name.equals("t5-v1_1")) {
                assertThat(p.config().geluApproximation()).as("T5Config reads gated-gelu as gelu_new").isEqualTo(GeluApproximation.TANH);
            }
            NDArray logits = p.encoderDecoder().logits(pairs(m, reference), false);
            assertThat(logits.getShape()).isEqualTo(new Shape(shape));
            double delta = HfImportTest.maxDelta(logits.toFloatArray(), Safetensors.read(reference, "logits"));
            System.out.printf(Locale.ROOT, "hf parity %s: max |dlogit| = %.3g%n", name, delta);
            assertThat(delta).as(name + " max |logit - reference|").isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t5", "t5-tied", "t5-v1_0", "t5-v1_1"})
    void exportGivesTheImportedCheckpointBack(String name) throws Exception {
        Path dir = HfImportTest.fixture(name);
        Path out = tmp.resolve("exported");
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(dir, m)) {
            p.exportHf(out);
        }
        assertSameTensors(out.resolve(HfCheckpoint.SINGLE), dir.resolve(HfCheckpoint.SINGLE));
        JsonNode exported = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        JsonNode original = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        for (String key : MODEL_KEYS) {
            assertThat(exported.get(key)).as(key).isEqualTo(original.get(key));
        }
        assertThat(exported.get("decoder_start_token_id").asInt()).as("ablate's decoder starts with EOS").isEqualTo(1);
    }

    static List<Arguments> expressible() {
        ModelConfig relative = Models.encoderDecoder(Position.RELATIVE, Activation.SWIGLU, false);
        ModelConfig gelu = Models.encoderDecoder(Position.RELATIVE, Activation.GELU, false);
        ModelConfig none = Models.encoderDecoder(Position.NONE, Activation.GELU, false);
        ModelConfig relu = Models.encoderDecoder(Position.RELATIVE, Activation.RELU, false);
        ModelConfig geglu = Models.encoderDecoder(Position.RELATIVE, Activation.GEGLU, false);
        return List.of(
                Arguments.of(Models.family(relative, Norm.RMSNORM, false, true, 0)),
                Arguments.of(Models.family(relative, Norm.RMSNORM, false, false, 0)),
                Arguments.of(tanh(Models.family(gelu, Norm.RMSNORM, false, true, 0))),
                Arguments.of(Models.family(none, Norm.RMSNORM, false, false, 0)),
                Arguments.of(Models.family(relu, Norm.RMSNORM, false, true, 0)),
                Arguments.of(tanh(Models.family(geglu, Norm.RMSNORM, false, false, 0))),
                Arguments.of(Models.family(geglu, Norm.RMSNORM, false, true, 0)));
    }

    /** T5's spelling of each MLP: T5Config reads gated-gelu as gelu_new, and gated-gelu_python is ACT2FN's exact GELU. */
    private static String feedForwardProj(ModelConfig config) {
        boolean tanh = config.geluApproximation() == GeluApproximation.TANH;
        return switch (config.activation()) {
            case GELU -> tanh ? "gelu_new" : "gelu";
            case RELU -> "relu";
            case SWIGLU -> "gated-silu";
            case GEGLU -> tanh ? "gated-gelu" : "gated-gelu_python";
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expressible")
    void anEncoderDecoderExportedAndImportedGivesIdenticalLogits(ModelConfig config) throws Exception {
        Path out = tmp.resolve("hf");
        try (NDManager m = NDManager.newBaseManager();
                Pretrained original = new Pretrained(config, new EncoderDecoder(m, config, 11, true),
                        tokenizer(), "test")) {
            original.exportHf(out);
            JsonNode json = new ObjectMapper().readTree(out.resolve("config.json").toFile());
            assertThat(json.get("model_type").asText()).isEqualTo("t5");
            assertThat(json.get("feed_forward_proj").asText()).isEqualTo(feedForwardProj(config));
            try (Pretrained back = Pretrained.loadHf(out, m)) {
                assertThat(back.config().position()).as("none comes back as a zero relative bias").isEqualTo(Position.RELATIVE);
                assertThat(back.config().activation()).isEqualTo(config.activation());
                Batch.Pairs pairs = randomPairs(m);
                assertThat(back.encoderDecoder().logits(pairs, false).toFloatArray()).containsExactly(original.encoderDecoder().logits(pairs, false).toFloatArray());
            }
        }
    }

    static List<Arguments> inexpressible() {
        ModelConfig t5 = Models.family(Models.encoderDecoder(Position.RELATIVE, Activation.GELU, false), Norm.RMSNORM, false, true, 0);
        return List.of(
                Arguments.of(Models.family(Models.encoderDecoder(Position.LEARNED, Activation.GELU, false), Norm.RMSNORM, false, true, 0),
                        "model.position = learned"),
                Arguments.of(Models.family(Models.encoderDecoder(Position.ROTARY, Activation.GELU, false), Norm.RMSNORM, false, true, 0),
                        "model.position = rotary"),
                Arguments.of(Models.family(Models.encoderDecoder(Position.ALIBI, Activation.GELU, false), Norm.RMSNORM, false, true, 0),
                        "model.position = alibi"),
                Arguments.of(Models.family(t5, Norm.LAYERNORM, false, true, 0), "model.norm = layernorm"),
                Arguments.of(Models.family(t5, Norm.RMSNORM, true, true, 0), "model.bias = on"),
                Arguments.of(Models.with(t5, Position.RELATIVE, Activation.GELU, true), "model.embedding-layernorm = on"),
                Arguments.of(Models.family(t5, Norm.RMSNORM, false, true, 2), "model.kv-heads = 2"),
                Arguments.of(Models.family(Models.debug(Position.RELATIVE, Activation.SWIGLU, false, AttentionMask.CAUSAL), Norm.RMSNORM,
                        false, false, 0), "model.position = relative"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("inexpressible")
    void whatT5CannotExpressIsRefusedNamingTheSetting(ModelConfig model, String setting) {
        assertThatThrownBy(() -> HfConfig.architectureFor(model)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(setting).hasMessageContaining("closest architecture is t5");
    }

    @Test
    void t5ConfigsAblateCannotFollowAreRefusedNamingTheKey() throws Exception {
        Path dir = HfImportTest.copyFixture("t5", tmp.resolve("bad"));
        for (String proj : List.of("gated-relu", "silu", "quick_gelu", "gated-silu-gelu", "dense-gelu")) {
            HfImportTest.editConfig(dir, c -> c.put("feed_forward_proj", proj));
            assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("feed_forward_proj").hasMessageContaining("'" + proj + "' is not supported");
        }
        HfImportTest.editConfig(dir, c -> c.put("feed_forward_proj", "gated-silu").put("dense_act_fn", "gelu_new"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("dense_act_fn").hasMessageContaining("gated-silu");
        HfImportTest.editConfig(dir, c -> c.put("dense_act_fn", "swish").put("is_gated_act", false));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("is_gated_act").hasMessageContaining("gated-silu");
        HfImportTest.editConfig(dir, c -> c.remove(List.of("dense_act_fn", "is_gated_act")));
        HfImportTest.editConfig(dir, c -> c.put("feed_forward_proj", "gated-silu").put("num_decoder_layers", 3));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("num_decoder_layers");
        HfImportTest.editConfig(dir, c -> c.put("num_decoder_layers", 2).put("d_kv", 8));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("d_kv");
        HfImportTest.editConfig(dir, c -> c.put("d_kv", 16).put("num_layers", 3).put("num_decoder_layers", 3));
        assertThatThrownBy(() -> load(dir)).hasMessage(dir.resolve("config.json") + " says num_layers = 3 but model.safetensors holds"
                + " weights for 2 layers (block.0, block.1)");
        HfImportTest.editConfig(dir, c -> c.put("num_layers", 2).put("num_decoder_layers", 2).put("relative_attention_num_buckets", 32));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("relative_attention_bias.weight").hasMessageContaining("shape");
    }

    @Test
    void aT5FolderLoadsAsAnEncoderDecoderWithItsStartTokenAndRefusesToActAsADecoder() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(HfImportTest.fixture("t5"), m)) {
            assertThat(p.model()).isInstanceOf(EncoderDecoder.class);
            assertThat(p.decoderStart()).as("config.json's decoder_start_token_id").isZero();
            assertThatThrownBy(p::decoder).hasMessageContaining("model.architecture").hasMessageContaining("encoder-decoder");
        }
        Path outside = HfImportTest.copyFixture("t5", tmp.resolve("start"));
        HfImportTest.editConfig(outside, c -> c.put("decoder_start_token_id", 96));
        assertThatThrownBy(() -> load(outside)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("decoder_start_token_id = 96").hasMessageContaining("vocab_size of 96");
    }

    @Test
    void theCommandsImportAndExportT5() throws Exception {
        Path fixture = HfImportTest.fixture("t5");
        Path imported = tmp.resolve("imported");
        Path exported = tmp.resolve("exported");
        assertThat(new CommandLine(new ImportHfCommand()).execute(fixture.toString(), "--out", imported.toString())).isZero();
        try (NDManager m = NDManager.newBaseManager(); Pretrained run = Pretrained.loadRun(imported, m);
                Pretrained hf = Pretrained.loadHf(fixture, m)) {
            Batch.Pairs pairs = pairs(m, fixture.resolve("reference.safetensors"));
            assertThat(run.encoderDecoder().logits(pairs, false).toFloatArray()).containsExactly(hf.encoderDecoder().logits(pairs, false).toFloatArray());
            assertThat(run.config()).isEqualTo(hf.config());
            assertThat(run.decoderStart()).as("import-hf records T5's start token").isEqualTo(hf.decoderStart()).isZero();
            assertThat(Pretrained.checkpointDecoderStart(imported, run.tokenizer())).as("read without loading").isZero();
        }
        assertThat(new CommandLine(new ExportHfCommand()).execute(imported.toString(), exported.toString())).isZero();
        assertSameTensors(exported.resolve(HfCheckpoint.SINGLE), fixture.resolve(HfCheckpoint.SINGLE));
    }

    @Test
    void aTrainedEncoderDecoderRunExportsAsT5() throws Exception {
        Path run = tmp.resolve("run");
        int code = new CommandLine(new TrainCommand()).execute("--preset", "debug", "--run-dir", run.toString(),
                "--set", "model.architecture=encoder-decoder", "--set", "model.position=relative", "--set", "model.norm=rmsnorm",
                "--set", "model.bias=off", "--set", "model.activation=swiglu", "--set", "train.steps=2",
                "--set", "checkpoint.interval=1", "--set", "data.builtin.train-documents=50", "--set", "data.builtin.val-documents=10",
                "--set", "train.eval-interval=0");
        assertThat(code).isZero();
        Path out = tmp.resolve("hf");
        assertThat(new CommandLine(new ExportHfCommand()).execute(run.toString(), out.toString())).isZero();
        assertThat(out.resolve("tokenizer.json")).as("the byte tokenizer has none").doesNotExist();
        java.nio.file.Files.copy(Path.of(HfT5Test.class.getResource("/data/tokenizer/tokenizer.json").toURI()), out.resolve("tokenizer.json"));
        try (NDManager m = NDManager.newBaseManager(); Pretrained trained = Pretrained.loadRun(run, m);
                Pretrained back = Pretrained.loadHf(out, m)) {
            assertThat(trained.source()).contains("step-00000002");
            assertThat(Pretrained.checkpointDecoderStart(new ablate.trainer.run.RunDirectory(run).checkpoint(2), trained.tokenizer()))
                    .as("ablate's decoder starts with EOS").isEqualTo(trained.decoderStart()).isEqualTo(trained.tokenizer().eosId());
            Batch.Pairs pairs = randomPairs(m);
            assertThat(back.encoderDecoder().logits(pairs, false).toFloatArray()).containsExactly(trained.encoderDecoder().logits(pairs, false).toFloatArray());
        }
    }

    /** Same tensor names, shapes and values. */
    private static void assertSameTensors(Path actual, Path expected) throws IOException {
        Map<String, Safetensors.Entry> a = Safetensors.entries(actual);
        Map<String, Safetensors.Entry> e = Safetensors.entries(expected);
        assertThat(a.keySet()).containsExactlyInAnyOrderElementsOf(e.keySet());
        for (String name : e.keySet()) {
            assertThat(a.get(name).shape()).as(name).containsExactly(e.get(name).shape());
            assertThat(Safetensors.read(actual, name)).as(name).containsExactly(Safetensors.read(expected, name));
        }
    }

    /** The reference's encoder tokens and lengths and decoder tokens (the targets are the decoder tokens: unused). */
    private static Batch.Pairs pairs(NDManager m, Path reference) throws IOException {
        NDArray decoder = longs(m, reference, "decoder_tokens");
        return new Batch.Pairs(longs(m, reference, "encoder_tokens"), longs(m, reference, "encoder_lengths"), decoder, decoder);
    }

    private static NDArray longs(NDManager m, Path reference, String name) throws IOException {
        float[] values = Safetensors.read(reference, name);
        long[] ids = new long[values.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (long) values[i];
        }
        return m.create(ids, new Shape(Safetensors.entries(reference).get(name).shape()));
    }

    /** Two rows, the second padded after 13 of its 20 encoder tokens. */
    private static Batch.Pairs randomPairs(NDManager m) {
        NDArray encoder = m.randomInteger(0, 34, new Shape(2, 20), ai.djl.ndarray.types.DataType.INT64);
        NDArray decoder = m.randomInteger(0, 34, new Shape(2, 9), ai.djl.ndarray.types.DataType.INT64);
        return new Batch.Pairs(encoder, m.create(new long[] {20, 13}), decoder, decoder);
    }

    private static ModelConfig tanh(ModelConfig m) {
        return Models.family(m, m.norm(), m.bias(), GeluApproximation.TANH, m.tiedOutput(), false, m.kvHeads(), m.mlpHiddenSize())
                .withArchitecture(m.architecture(), m.seqLen());
    }

    private static void load(Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(dir, m)) {
            assertThat(p).isNotNull();
        }
    }

    private static ablate.trainer.data.Tokenizer tokenizer() throws Exception {
        return Tokenizers.load(Path.of(HfT5Test.class.getResource("/data/tokenizer/tokenizer.json").toURI()).toString());
    }
}
