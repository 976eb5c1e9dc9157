package ablate.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.Activation;
import ablate.conf.GeluApproximation;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.model.Models;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Imports the tiny checkpoints under src/test/resources/hf and compares ablate's logits with the
 * reference logits stored beside them. The fixtures come from ops/hf/reference_models.py, an
 * independent torch re-implementation of transformers' four forward passes, NOT from transformers
 * itself (not installed where they were made); ops/hf/make_fixtures.py regenerates them from
 * transformers in the same layout.
 */
public class HfImportTest {
    static {
        Models.debug(); // configures libtorch threads
    }

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "bloom", "gpt_neox", "gpt_neox-bf16", "llama", "llama-geglu"})
    void importedLogitsMatchTheReference(String name) throws Exception {
        Path dir = fixture(name);
        Path reference = dir.resolve("reference.safetensors");
        long[] shape = Safetensors.entries(reference).get("logits").shape();
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(dir, m)) {
            assertThat(p.config().paddedVocab()).as("logits cover exactly vocab_size rows").isEqualTo((int) shape[2]);
            NDArray logits = p.decoder().logits(tokens(m, reference), m.zeros(new Shape(shape[0])), false);
            assertThat(logits.getShape()).isEqualTo(new Shape(shape));
            double delta = maxDelta(logits.toFloatArray(), Safetensors.read(reference, "logits"));
            System.out.printf(Locale.ROOT, "hf parity %s: max |dlogit| = %.3g%n", name, delta);
            assertThat(delta).as(name + " max |logit - reference|").isLessThan(1e-4);
        }
    }

    @Test
    void theLlamaFixtureIsShardedAndTheNeoxCopyIsBf16() throws IOException, URISyntaxException {
        assertThat(fixture("llama").resolve(HfCheckpoint.INDEX)).isRegularFile();
        assertThat(fixture("llama").resolve(HfCheckpoint.SINGLE)).doesNotExist();
        Path bf16 = fixture("gpt_neox-bf16").resolve(HfCheckpoint.SINGLE);
        assertThat(Safetensors.entries(bf16).values()).allMatch(e -> e.dtype().equals("BF16"));
    }

    @Test
    void anImportHfFolderLoadsAsARunWithTheSameLogits() throws Exception {
        Path dir = fixture("llama");
        Path out = tmp.resolve("imported");
        try (NDManager m = NDManager.newBaseManager(); Pretrained hf = Pretrained.loadHf(dir, m)) {
            hf.saveRun(out);
            try (Pretrained run = Pretrained.loadRun(out, m)) {
                NDArray tokens = tokens(m, dir.resolve("reference.safetensors"));
                NDArray prefix = m.zeros(new Shape(2));
                assertThat(run.decoder().logits(tokens, prefix, false).toFloatArray())
                        .containsExactly(hf.decoder().logits(tokens, prefix, false).toFloatArray());
                assertThat(run.config()).isEqualTo(hf.config());
                assertThat(run.tokenizer().vocabSize()).isEqualTo(hf.tokenizer().vocabSize());
            }
        }
    }

    @Test
    void aFolderWithoutConfigJsonIsNamed() throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> load(tmp.resolve("empty"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json").hasMessageContaining("empty");
        assertThatThrownBy(() -> load(tmp.resolve("missing"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a folder");
    }

    @Test
    void aFolderWithoutWeightsIsNamed() throws Exception {
        Path dir = copy("gpt2", "noweights");
        Files.delete(dir.resolve("model.safetensors"));
        Files.delete(dir.resolve("reference.safetensors"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("model.safetensors").hasMessageContaining("noweights");
    }

    @Test
    void aMissingShardIsNamed() throws Exception {
        Path dir = copy("llama", "noshard");
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("model-00002-of-00002.safetensors");
    }

    /** A download cut short or a header that is not JSON fails naming the shard, not with a parser's bare message. */
    @Test
    void aTruncatedOrGarbledShardIsNamed() throws Exception {
        Path dir = copy("llama", "truncated");
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(shard.toString()).hasMessageContaining("the file is truncated");
        bytes[8] = '#';
        Files.write(shard, bytes);
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(shard + ": the header is not valid JSON");
    }

    @Test
    void aMissingTensorIsNamed() throws Exception {
        Path dir = copy("llama", "notensor");
        editConfig(dir, c -> c.put("tie_word_embeddings", true));
        Path shard = dir.resolve("model-00001-of-00002.safetensors");
        assertThat(Safetensors.entries(shard)).containsKey("lm_head.weight");
        // With a tied head the file's lm_head.weight is ignored, so the model still loads.
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(dir, m)) {
            assertThat(p.config().tiedOutput()).isTrue();
        }
        editConfig(dir, c -> c.put("num_hidden_layers", 3));
        assertThatThrownBy(() -> load(dir)).hasMessage(dir.resolve("config.json") + " says num_hidden_layers = 3 but"
                + " model-00001-of-00002.safetensors, model-00002-of-00002.safetensors hold weights for 2 layers (layers.0, layers.1)");
    }

    /**
     * config.json's sizes are compared with the weights before its settings are validated or
     * anything is allocated: a million layers beside weights for two fails on the mismatch (not on
     * model.layers' bound), and so do a billion-wide hidden size and a wrong vocabulary; numbers
     * beyond an int or with a fraction are refused, never overflowed or truncated.
     */
    @Test
    void aConfigThatDoesNotBelongToTheWeightsFailsOnTheMismatchBeforeTheModelIsBuilt() throws Exception {
        Path dir = copy("gpt2", "huge");
        Path config = dir.resolve("config.json");
        editConfig(dir, c -> c.put("n_layer", 1_000_000));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(config + " says n_layer = 1000000 but model.safetensors holds weights for 2 layers (h.0, h.1)");
        editConfig(dir, c -> c.put("n_layer", 50_000));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("says n_layer = 50000 but model.safetensors holds weights for 2 layers");
        editConfig(dir, c -> c.put("n_layer", 2).put("n_embd", 1_000_000_000).put("n_head", 32));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(config + " says n_embd = 1000000000 but model.safetensors holds transformer.wte.weight of shape (96, 32)"
                        + " (32 wide)");
        editConfig(dir, c -> c.put("n_embd", 32).put("n_head", 4).put("vocab_size", 1_000_000_000_000L));
        assertThatThrownBy(() -> load(dir)).hasMessage(config + ": vocab_size = 1000000000000 is beyond the largest supported size, "
                + Integer.MAX_VALUE);
        editConfig(dir, c -> c.put("vocab_size", 96).put("n_layer", 2.5));
        assertThatThrownBy(() -> load(dir)).hasMessage(config + ": n_layer must be an integer, got 2.5");
        editConfig(dir, c -> c.put("n_layer", 2).put("n_inner", 1000));
        assertThatThrownBy(() -> load(dir)).hasMessage(dir.resolve("model.safetensors") + ": transformer.h.0.mlp.c_fc.weight has shape"
                + " (32, 128) where config.json implies (32, 1000)");
    }

    /** Sizes the embedding does not show are checked tensor by tensor: grouped-query heads, one shard's k_proj. */
    @Test
    void everyTensorIsCheckedAgainstTheShapeConfigJsonImpliesNamingItsShard() throws Exception {
        Path dir = copy("llama", "gqa");
        String shard = Safetensors.entries(dir.resolve("model-00001-of-00002.safetensors")).containsKey("model.layers.0.self_attn.k_proj.weight")
                ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        ObjectNode before = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        int kv = before.path("num_key_value_heads").asInt(before.get("num_attention_heads").asInt());
        editConfig(dir, c -> c.put("num_key_value_heads", kv == 1 ? 2 : 1));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(dir.resolve(shard) + ": model.layers.0.self_attn.k_proj.weight has shape")
                .hasMessageContaining("where config.json implies");
    }

    /** A tensor no model of the config has is refused, naming it and its file, before anything is built. */
    @Test
    void anExtraTensorIsNamedWithItsFile() throws Exception {
        Path dir = copy("gpt2", "extra");
        Path weights = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            java.util.Map<String, NDArray> tensors = new java.util.LinkedHashMap<>();
            for (String name : Safetensors.entries(weights).keySet()) {
                tensors.put(name, m.create(Safetensors.read(weights, name), new Shape(Safetensors.entries(weights).get(name).shape())));
            }
            tensors.put("transformer.h.0.adapter.weight", m.zeros(new Shape(4, 4)));
            Files.delete(weights);
            Safetensors.write(weights, tensors, java.util.Map.of("format", "pt"));
        }
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(weights + " holds transformer.h.0.adapter.weight, which a gpt2 model with this config.json does not have");
    }

    @Test
    void unsupportedConfigKeysAreNamed() throws Exception {
        Path dir = copy("gpt_neox", "bad");
        editConfig(dir, c -> c.putObject("rope_scaling").put("type", "linear").put("factor", 2.0));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json").hasMessageContaining("rope_scaling");
        editConfig(dir, c -> c.putNull("rope_scaling").put("rotary_pct", 0.0));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("rotary_pct").hasMessageContaining("without rotary");
        editConfig(dir, c -> c.put("rotary_pct", 0.5).put("hidden_act", "quick_gelu"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("hidden_act").hasMessageContaining("quick_gelu");
        editConfig(dir, c -> c.put("hidden_act", "gelu").put("model_type", "mistral"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("model_type").hasMessageContaining("mistral");
        editConfig(dir, c -> c.put("model_type", "gpt_neox").remove("hidden_size"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("hidden_size").hasMessageContaining("missing");
    }

    /** llama's hidden_act picks its gated MLP: silu is SwiGLU, a GELU is GEGLU (Gemma's), and anything else is refused by name. */
    @Test
    void llamasHiddenActChoosesTheGatedMlp() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Pretrained swiglu = Pretrained.loadHf(fixture("llama"), m);
                Pretrained geglu = Pretrained.loadHf(fixture("llama-geglu"), m)) {
            assertThat(swiglu.config().activation()).isEqualTo(Activation.SWIGLU);
            assertThat(geglu.config().activation()).isEqualTo(Activation.GEGLU);
            assertThat(geglu.config().geluApproximation()).isEqualTo(GeluApproximation.TANH);
        }
        Path dir = copy("llama-geglu", "act");
        editConfig(dir, c -> c.put("hidden_act", "gelu"));
        try (NDManager m = NDManager.newBaseManager(); Pretrained exact = Pretrained.loadHf(dir, m)) {
            assertThat(exact.config().geluApproximation()).isEqualTo(GeluApproximation.NONE);
        }
        editConfig(dir, c -> c.put("hidden_act", "relu"));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hidden_act")
                .hasMessageContaining("'relu' is not supported");
    }

    @Test
    void wrongShapesAreNamed() throws Exception {
        Path dir = copy("bloom", "shape");
        editConfig(dir, c -> c.put("vocab_size", 100));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("word_embeddings.weight").hasMessageContaining("shape");
    }

    /** A tiny checkpoint folder of src/test/resources/hf: gpt2, bloom, gpt_neox, gpt_neox-bf16 or llama (sharded). */
    public static Path fixture(String name) throws URISyntaxException {
        return Path.of(HfImportTest.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
    }

    static NDArray tokens(NDManager m, Path reference) throws IOException {
        long[] shape = Safetensors.entries(reference).get("tokens").shape();
        float[] values = Safetensors.read(reference, "tokens");
        long[] ids = new long[values.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (long) values[i];
        }
        return m.create(ids, new Shape(shape));
    }

    static double maxDelta(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static void load(Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(dir, m)) {
            assertThat(p).isNotNull();
        }
    }

    private Path copy(String fixture, String name) throws Exception {
        return copyFixture(fixture, tmp.resolve(name));
    }

    /** A copy of a {@link #fixture} in {@code to}, to edit. */
    public static Path copyFixture(String fixture, Path to) throws Exception {
        Path from = fixture(fixture);
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            files.forEach(f -> {
                try {
                    Files.copy(f, to.resolve(f.getFileName()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return to;
    }

    /** Rewrites {@code dir}'s config.json with {@code edit} applied. */
    public static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dir.resolve("config.json").toFile(), config);
    }
}
