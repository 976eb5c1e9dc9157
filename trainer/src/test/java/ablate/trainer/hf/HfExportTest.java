package ablate.trainer.hf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.trainer.cli.ExportHfCommand;
import ablate.trainer.cli.ImportHfCommand;
import ablate.trainer.data.Tokenizers;
import ablate.trainer.model.Gpt;
import ablate.trainer.model.Models;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Export to a Hugging Face folder and import back gives the same model, for every exportable combination. */
class HfExportTest {
    static {
        Models.debug();
    }

    @TempDir
    Path tmp;

    record Case(String architecture, ModelConfig model) {
        @Override
        public String toString() {
            return architecture + " " + model.position() + " " + model.activation() + " " + model.norm() + " bias " + model.bias()
                    + " tied " + model.tiedOutput() + " parallel " + model.parallelResidual() + " kv " + model.kvHeads();
        }
    }

    static List<Arguments> exportable() {
        ModelConfig learned = Models.debug(Position.LEARNED, Activation.GELU, false, AttentionMask.CAUSAL);
        ModelConfig alibi = Models.debug(Position.ALIBI, Activation.GELU, true, AttentionMask.CAUSAL);
        ModelConfig rotary = Models.debug(Position.ROTARY, Activation.GELU, false, AttentionMask.CAUSAL);
        ModelConfig swiglu = Models.debug(Position.ROTARY, Activation.SWIGLU, false, AttentionMask.CAUSAL);
        ModelConfig relu = Models.debug(Position.LEARNED, Activation.RELU, false, AttentionMask.CAUSAL);
        ModelConfig geglu = Models.debug(Position.ROTARY, Activation.GEGLU, false, AttentionMask.CAUSAL);
        return List.of(
                Arguments.of(new Case("gpt2", relu)),
                Arguments.of(new Case("gpt_neox", Models.family(Models.with(relu, Position.ROTARY, Activation.RELU, false), Norm.LAYERNORM,
                        true, GeluApproximation.NONE, false, true, 0, 0))),
                Arguments.of(new Case("gpt2", learned)),
                Arguments.of(new Case("gpt2", Models.family(learned, Norm.LAYERNORM, true, GeluApproximation.TANH, false, false, 0, 0))),
                Arguments.of(new Case("bloom", Models.family(alibi, Norm.LAYERNORM, true, GeluApproximation.TANH, true, false, 0, 0))),
                Arguments.of(new Case("gpt_neox", rotary)),
                Arguments.of(new Case("gpt_neox", Models.family(rotary, Norm.LAYERNORM, true, GeluApproximation.NONE, false, true, 0, 96))),
                Arguments.of(new Case("llama", Models.family(swiglu, Norm.RMSNORM, false, GeluApproximation.NONE, false, false, 2, 0))),
                Arguments.of(new Case("llama", Models.family(swiglu, Norm.RMSNORM, false, GeluApproximation.NONE, true, false, 0, 80))),
                // GEGLU through llama's hidden_act (Gemma's MLP): gelu_pytorch_tanh, and exact gelu with biases
                Arguments.of(new Case("llama", Models.family(geglu, Norm.RMSNORM, false, GeluApproximation.TANH, false, false, 2, 0))),
                Arguments.of(new Case("llama", Models.family(geglu, Norm.RMSNORM, true, GeluApproximation.NONE, true, false, 0, 80))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exportable")
    void exportThenImportGivesIdenticalLogits(Case c) throws Exception {
        Path out = tmp.resolve("hf");
        try (NDManager m = NDManager.newBaseManager();
                Pretrained original = new Pretrained(c.model(), new Gpt(m, c.model(), 11, true), tokenizer(), "test")) {
            original.exportHf(out);
            JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
            assertThat(config.get("model_type").asText()).isEqualTo(c.architecture());
            assertThat(out.resolve("tokenizer.json")).isRegularFile();
            try (Pretrained back = Pretrained.loadHf(out, m)) {
                NDArray tokens = m.randomInteger(0, 34, new ai.djl.ndarray.types.Shape(2, 20), DataType.INT64);
                NDArray prefix = m.zeros(new ai.djl.ndarray.types.Shape(2));
                assertThat(back.decoder().logits(tokens, prefix, false).toFloatArray())
                        .containsExactly(original.decoder().logits(tokens, prefix, false).toFloatArray());
                assertThat(back.config().paddedVocab()).isEqualTo(c.model().paddedVocab());
            }
        }
    }

    static List<Arguments> inexpressible() {
        ModelConfig base = Models.debug();
        return List.of(
                Arguments.of(Models.debug(Position.LEARNED, Activation.GELU, false, AttentionMask.PREFIX), "model.attention-mask = prefix"),
                Arguments.of(Models.debug(Position.NONE, Activation.GELU, false, AttentionMask.CAUSAL), "model.position = none"),
                Arguments.of(Models.debug(Position.ALIBI, Activation.GELU, true, AttentionMask.CAUSAL), "gelu-approximation = none"),
                Arguments.of(Models.debug(Position.ALIBI, Activation.GELU, false, AttentionMask.CAUSAL), "embedding-layernorm = off"),
                Arguments.of(Models.debug(Position.ROTARY, Activation.SWIGLU, false, AttentionMask.CAUSAL), "model.norm = layernorm"),
                Arguments.of(Models.debug(Position.LEARNED, Activation.SWIGLU, false, AttentionMask.CAUSAL), "model.activation = swiglu"),
                Arguments.of(Models.debug(Position.LEARNED, Activation.GEGLU, false, AttentionMask.CAUSAL), "model.activation = geglu"),
                Arguments.of(Models.debug(Position.ROTARY, Activation.GEGLU, false, AttentionMask.CAUSAL), "model.norm = layernorm"),
                Arguments.of(Models.family(Models.debug(Position.ALIBI, Activation.RELU, true, AttentionMask.CAUSAL), Norm.LAYERNORM, true,
                        GeluApproximation.TANH, true, false, 0, 0), "model.activation = relu"),
                Arguments.of(Models.family(base, Norm.LAYERNORM, true, GeluApproximation.NONE, true, false, 2, 0), "model.kv-heads = 2"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("inexpressible")
    void aModelNoArchitectureExpressesIsRefusedNamingTheSettingAndTheClosest(ModelConfig model, String setting) {
        assertThatThrownBy(() -> HfConfig.architectureFor(model)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(setting).hasMessageContaining("closest architecture");
    }

    @Test
    void theCommandsRoundTripAndRefuseBadInputWithExitCode2() throws Exception {
        Path imported = tmp.resolve("imported");
        Path exported = tmp.resolve("exported");
        Path fixture = HfImportTest.fixture("gpt_neox");
        assertThat(new CommandLine(new ImportHfCommand()).execute(fixture.toString(), "--out", imported.toString())).isZero();
        assertThat(new CommandLine(new ExportHfCommand()).execute(imported.toString(), exported.toString())).isZero();
        try (NDManager m = NDManager.newBaseManager(); Pretrained a = Pretrained.loadHf(fixture, m); Pretrained b = Pretrained.loadHf(exported, m)) {
            NDArray tokens = m.arange(0, 30, 1, DataType.INT64).reshape(2, 15);
            NDArray prefix = m.zeros(new ai.djl.ndarray.types.Shape(2));
            assertThat(b.decoder().logits(tokens, prefix, false).toFloatArray())
                    .containsExactly(a.decoder().logits(tokens, prefix, false).toFloatArray());
        }
        assertThat(new CommandLine(new ImportHfCommand()).execute(tmp.resolve("nothing").toString(), "--out", tmp.resolve("x").toString()))
                .isEqualTo(2);
        assertThat(new CommandLine(new ExportHfCommand()).execute(tmp.resolve("nothing").toString(), tmp.resolve("y").toString()))
                .isEqualTo(2);
        assertThat(new CommandLine(new ExportHfCommand()).execute(imported.toString(), exported.toString())).as("not empty").isEqualTo(2);
    }

    @Test
    void aTrainedRunLoadsFromItsNewestCheckpointAndExports() throws Exception {
        Path run = tmp.resolve("run");
        int code = new CommandLine(new ablate.trainer.cli.TrainCommand()).execute("--preset", "debug", "--run-dir", run.toString(),
                "--set", "train.steps=2", "--set", "checkpoint.interval=1", "--set", "data.builtin.train-documents=50",
                "--set", "data.builtin.val-documents=10", "--set", "train.eval-interval=0");
        assertThat(code).isZero();
        try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadRun(run, m)) {
            assertThat(p.source()).contains("step-00000002");
            assertThat(p.tokenizer().spec()).isEqualTo("byte");
            p.exportHf(tmp.resolve("hf"));
            try (Pretrained back = Pretrained.loadRun(run.resolve("checkpoints").resolve("step-00000001"), m)) {
                assertThat(back.source()).contains("step-00000001");
            }
        }
        assertThat(tmp.resolve("hf").resolve("config.json")).isRegularFile();
        assertThat(tmp.resolve("hf").resolve("tokenizer.json")).as("the byte tokenizer has none").doesNotExist();
    }

    private static ablate.trainer.data.Tokenizer tokenizer() throws Exception {
        return Tokenizers.load(Path.of(HfExportTest.class.getResource("/data/tokenizer/tokenizer.json").toURI()).toString());
    }
}
