package ablate.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
class HfImportTest {
    static {
        Models.debug(); // configures libtorch threads
    }

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "bloom", "gpt_neox", "gpt_neox-bf16", "llama"})
    void importedLogitsMatchTheReference(String name) throws Exception {
        Path dir = fixture(name);
        Path reference = dir.resolve("reference.safetensors");
        long[] shape = Safetensors.entries(reference).get("logits").shape();
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(dir, m)) {
            assertThat(p.config().paddedVocab()).as("logits cover exactly vocab_size rows").isEqualTo((int) shape[2]);
            NDArray logits = p.model().logits(tokens(m, reference), m.zeros(new Shape(shape[0])), false);
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
                assertThat(run.model().logits(tokens, prefix, false).toFloatArray())
                        .containsExactly(hf.model().logits(tokens, prefix, false).toFloatArray());
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
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("describes 3 layers but the weights hold 2");
    }

    /**
     * A config.json of fifty thousand layers beside weights for two fails on the mismatch before anything is allocated;
     * a million layers is beyond what any model config accepts.
     */
    @Test
    void aConfigThatDoesNotBelongToTheWeightsFailsBeforeTheModelIsBuilt() throws Exception {
        Path dir = copy("gpt2", "huge");
        editConfig(dir, c -> c.put("n_layer", 50_000));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json describes 50000 layers but the weights hold 2");
        editConfig(dir, c -> c.put("n_layer", 1_000_000));
        assertThatThrownBy(() -> load(dir)).hasMessageStartingWith("model.layers (config.json): 1,000,000 is above the largest supported");
        editConfig(dir, c -> c.put("n_layer", 2).put("n_embd", 4096).put("n_head", 32));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("parameters but the weights hold");
    }

    @Test
    void unsupportedConfigKeysAreNamed() throws Exception {
        Path dir = copy("gpt_neox", "bad");
        editConfig(dir, c -> c.putObject("rope_scaling").put("type", "linear").put("factor", 2.0));
        assertThatThrownBy(() -> load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json").hasMessageContaining("rope_scaling");
        editConfig(dir, c -> c.putNull("rope_scaling").put("rotary_pct", 0.0));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("rotary_pct").hasMessageContaining("without rotary");
        editConfig(dir, c -> c.put("rotary_pct", 0.5).put("hidden_act", "relu"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("hidden_act").hasMessageContaining("relu");
        editConfig(dir, c -> c.put("hidden_act", "gelu").put("model_type", "mistral"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("model_type").hasMessageContaining("mistral");
        editConfig(dir, c -> c.put("model_type", "gpt_neox").remove("hidden_size"));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("hidden_size").hasMessageContaining("missing");
    }

    @Test
    void wrongShapesAreNamed() throws Exception {
        Path dir = copy("bloom", "shape");
        editConfig(dir, c -> c.put("vocab_size", 100));
        assertThatThrownBy(() -> load(dir)).hasMessageContaining("word_embeddings.weight").hasMessageContaining("shape");
    }

    static Path fixture(String name) throws URISyntaxException {
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
        Path from = fixture(fixture);
        Path to = tmp.resolve(name);
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

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dir.resolve("config.json").toFile(), config);
    }
}
