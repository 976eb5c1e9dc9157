package ablate.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class SettingsTest {
    @TempDir
    Path tmp;

    static final List<String> PRESETS = Presets.ALL;

    @ParameterizedTest
    @FieldSource("PRESETS")
    void everyPresetParses(String preset) {
        RunConfig run = Settings.load(Settings.Sources.ofPreset(preset));
        assertThat(run.model().layers()).isPositive();
    }

    @Test
    void laterSourcesWin() throws IOException {
        Path file = write("model.layers = 3\nmodel.position = alibi\n");
        RunConfig run = Settings.load(new Settings.Sources("tiny", List.of(file), List.of("model.layers=5")));
        assertThat(run.model().layers()).isEqualTo(5);
        assertThat(run.model().position()).isEqualTo(Position.ALIBI);
        assertThat(run.model().dModel()).isEqualTo(128);
    }

    @Test
    void anUnknownKeyNamesItsFileLineAndTheNearestKnownKey() throws IOException {
        Path file = write("model {\n  layers = 3\n  hedas = 4\n}\n");
        assertThatThrownBy(() -> Settings.load(new Settings.Sources("debug", List.of(file), List.of())))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("model.hedas (" + file + ":3)")
                .hasMessageContaining("did you mean 'model.heads'");
    }

    @Test
    void aConfigSentAsTextKeepsItsNameAndLineInErrors() {
        Settings.Text text = new Settings.Text("study/base.conf", "model {\n  layers = 3\n  hedas = 4\n}\n");
        assertThatThrownBy(() -> Settings.parse(Settings.compose("debug", List.of(text), List.of())))
                .hasMessageContaining("model.hedas (study/base.conf:3)")
                .hasMessageContaining("did you mean 'model.heads'");
        RunConfig run = Settings.parse(Settings.compose("debug", List.of(new Settings.Text("a.conf", "model.layers = 3")),
                List.of("model.layers=5")));
        assertThat(run.model().layers()).as("--set wins over a file, as for files on disk").isEqualTo(5);
    }

    @Test
    void dataParallelIsAutoOrATrainerCountThatTheStepCanShare() {
        assertThat(Settings.load(Settings.Sources.ofPreset("debug")).cluster().auto()).isTrue();
        assertThat(Settings.load(Settings.Sources.ofPreset("debug", "cluster.data-parallel=2")).cluster().dataParallel()).isEqualTo(2);
        // debug: 16 sequences in micro-batches of 8 = 2 micro-batches per step
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "cluster.data-parallel=3")))
                .hasMessageContaining("cluster.data-parallel (--set cluster.data-parallel=3): 3 trainers for a step of 2 micro-batches");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "cluster.data-parallel=many")))
                .hasMessageContaining("'many' is neither a number of trainers nor auto");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "cluster.journal=h2")))
                .as("node settings are not run settings").hasMessageContaining("cluster.journal (--set cluster.journal=h2): unknown key");
    }

    @Test
    void anUnknownSectionIsRejected() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "optimizer.lr=1")))
                .hasMessageContaining("optimizer.lr (--set optimizer.lr=1): unknown key");
    }

    @Test
    void aWrongTypeNamesTheKeyAndOrigin() throws IOException {
        Path file = write("train {\n  steps = many\n}\n");
        assertThatThrownBy(() -> Settings.load(new Settings.Sources("debug", List.of(file), List.of())))
                .hasMessageContaining("train.steps")
                .hasMessageContaining(file + ":2");
    }

    @Test
    void headsThatDoNotDivideTheWidthAreRejectedWithTheirOrigin() throws IOException {
        Path file = write("model.heads = 5\n");
        assertThatThrownBy(() -> Settings.load(new Settings.Sources("debug", List.of(file), List.of())))
                .hasMessage("model.heads (" + file + ":1): 5 heads do not divide model.d-model = 64; use a divisor of 64");
    }

    @Test
    void anUnknownChoiceListsTheAllowedValues() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.activation=silu")))
                .hasMessage("model.activation (--set model.activation=silu): 'silu' is not one of: gelu | swiglu | relu | geglu");
    }

    @Test
    void impossibleBatchesAndRotaryShapesAreRejected() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.micro-batch-size=5")))
                .hasMessageContaining("train.micro-batch-size (--set train.micro-batch-size=5): 5 does not divide the global batch of 16");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.global-batch-tokens=100")))
                .hasMessageContaining("not a whole number of sequences of model.seq-len = 64");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.position=rotary", "model.rotary-fraction=0.05")))
                .hasMessageContaining("model.rotary-fraction");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("nope")))
                .hasMessageContaining("unknown preset 'nope'; known presets: debug, tiny");
    }

    @Test
    void aMissingConfigFileIsNamed() {
        Path missing = tmp.resolve("missing.conf");
        assertThatThrownBy(() -> Settings.load(new Settings.Sources("", List.of(missing), List.of())))
                .hasMessageContaining("config file " + missing + " does not exist");
    }

    @Test
    void swigluHiddenSizeMatchesGeluParameters() {
        ModelConfig gelu = Settings.load(Settings.Sources.ofPreset("125m")).model();
        ModelConfig swiglu = Settings.load(Settings.Sources.ofPreset("125m", "model.activation=swiglu")).model();
        assertThat(gelu.mlpHidden()).isEqualTo(3072);
        assertThat(swiglu.mlpHidden()).isEqualTo(2048);
        long geluWeights = 2L * 768 * gelu.mlpHidden();
        long swigluWeights = 3L * 768 * swiglu.mlpHidden();
        assertThat(swigluWeights).isEqualTo(geluWeights);
        assertThat(Settings.load(Settings.Sources.ofPreset("125m", "model.activation=geglu")).model().mlpHidden())
                .as("GEGLU is gated too").isEqualTo(2048);
        assertThat(Settings.load(Settings.Sources.ofPreset("125m", "model.activation=relu")).model().mlpHidden())
                .as("ReLU is not").isEqualTo(3072);
    }

    private Path write(String text) throws IOException {
        Path file = tmp.resolve("run.conf");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void theFamilySettingsDefaultToTheGptModelAndParse() {
        ModelConfig debug = Settings.load(Settings.Sources.ofPreset("debug")).model();
        assertThat(debug.norm()).isEqualTo(Norm.LAYERNORM);
        assertThat(debug.bias()).isTrue();
        assertThat(debug.geluApproximation()).isEqualTo(GeluApproximation.NONE);
        assertThat(debug.tiedOutput()).isTrue();
        assertThat(debug.parallelResidual()).isFalse();
        assertThat(debug.keyValueHeads()).isEqualTo(debug.heads());
        ModelConfig llama = Settings.load(Settings.Sources.ofPreset("debug", "model.norm=rmsnorm", "model.bias=off",
                "model.tied-output=off", "model.kv-heads=2", "model.mlp-hidden=100", "model.gelu-approximation=tanh",
                "model.parallel-residual=on")).model();
        assertThat(llama.norm()).isEqualTo(Norm.RMSNORM);
        assertThat(llama.bias()).isFalse();
        assertThat(llama.tiedOutput()).isFalse();
        assertThat(llama.parallelResidual()).isTrue();
        assertThat(llama.keyValueHeads()).isEqualTo(2);
        assertThat(llama.mlpHidden()).isEqualTo(100);
        assertThat(llama.geluApproximation()).isEqualTo(GeluApproximation.TANH);
        assertThat(Settings.parse(com.typesafe.config.ConfigFactory.parseMap(prefixed(llama.toSettings()))).model()).isEqualTo(llama);
    }

    @Test
    void impossibleFamilySettingsNameTheirKey() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.kv-heads=3")))
                .hasMessageContaining("model.kv-heads").hasMessageContaining("--set model.kv-heads=3");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.mlp-hidden=-1")))
                .hasMessageContaining("model.mlp-hidden");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.norm=batchnorm")))
                .hasMessageContaining("model.norm").hasMessageContaining("layernorm | rmsnorm");
    }

    private static java.util.Map<String, Object> prefixed(java.util.Map<String, Object> model) {
        var out = new java.util.LinkedHashMap<String, Object>();
        model.forEach((k, v) -> out.put("model." + k, v));
        return out;
    }

    @Test
    void precisionDefaultsToFp32AndFp16ReadsTheLossScale() {
        assertThat(Settings.load(Settings.Sources.ofPreset("debug")).train().mixedPrecision().precision()).isEqualTo(Precision.FP32);
        MixedPrecision fp16 = Settings.load(Settings.Sources.ofPreset("debug", "train.precision=fp16",
                "train.loss-scale.initial=1024", "train.loss-scale.hysteresis=1")).train().mixedPrecision();
        assertThat(fp16).isEqualTo(new MixedPrecision(Precision.FP16, 1024, 1000, 1, 1));
    }

    @Test
    void bf16IsRefusedNamingTheDjlAbort() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.precision=bf16")))
                .hasMessageContaining("train.precision (--set train.precision=bf16)")
                .hasMessageContaining("DJL 0.35.1 aborts the JVM")
                .hasMessageContaining("upstream fix");
    }

    @Test
    void impossibleLossScalesNameTheirKey() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.loss-scale.min=0")))
                .hasMessageContaining("train.loss-scale.min (--set train.loss-scale.min=0)");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.loss-scale.window=0")))
                .hasMessageContaining("train.loss-scale.window");
    }

    @Test
    void countsRefuseFractionsAndNoNumberMayBeInfinite() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.steps=10.5")))
                .isInstanceOf(SettingsException.class).hasMessageContaining("train.steps").hasMessageContaining("--set train.steps=10.5")
                .hasMessageContaining("whole number");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.d-model=64.0001")))
                .hasMessageContaining("model.d-model").hasMessageContaining("whole number");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.lr=Infinity")))
                .isInstanceOf(SettingsException.class).hasMessageContaining("train.lr");
        assertThat(Settings.load(Settings.Sources.ofPreset("debug", "train.steps=12.0")).train().steps()).isEqualTo(12);
        assertThat(Settings.load(Settings.Sources.ofPreset("debug", "train.peak-tflops=312.5")).train().peakTflops()).isEqualTo(312.5);
    }

    @Test
    void aValueTypedAsUsersTypeItIsAcceptedWithoutQuotes() {
        assertThat(Settings.load(Settings.Sources.ofPreset("debug", "train.device=cuda:0")).train().device()).isEqualTo("cuda:0");
        assertThatThrownBy(() -> Settings.parseOverride("train.steps=[1,")).isInstanceOf(SettingsException.class)
                .hasMessageContaining("train.steps").hasMessageContaining("quote");
    }
}
