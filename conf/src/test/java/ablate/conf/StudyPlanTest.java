package ablate.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StudyPlanTest {

    private static StudyPlan plan(String text, String... overrides) {
        return StudyPlan.parse(new Settings.Text("positions.conf", text), "positions",
                f -> new Settings.Text(f, f.equals("base.conf") ? "train.steps = 7\n" : ""), List.of(overrides));
    }

    @Test
    void ablationsChangeOneAxisEachAndAreNamedAfterTheChange() {
        StudyPlan plan = plan("""
                preset = debug
                configs = ["base.conf"]
                settings { train.threads = 1 }
                ablations = [
                  {model.position = none}
                  {model.position = alibi}
                  {model.activation = swiglu, model.embedding-layernorm = on}
                  {name = wide, model.d-model = 128}
                ]
                """, "train.lr=0.001");
        assertThat(plan.name()).isEqualTo("positions");
        assertThat(plan.base()).isEqualTo("base");
        assertThat(plan.runs()).extracting(StudyPlan.Run::name)
                .containsExactly("base", "position-none", "position-alibi", "activation-swiglu_embedding-layernorm-on", "wide");
        StudyPlan.Run alibi = plan.runs().get(2);
        assertThat(alibi.change()).isEqualTo(Map.of("model.position", "alibi"));
        assertThat(alibi.config().model().position()).isEqualTo(Position.ALIBI);
        assertThat(alibi.config().train().steps()).isEqualTo(7);
        assertThat(alibi.config().train().threads()).isEqualTo(1);
        assertThat(alibi.config().train().lr()).isEqualTo(0.001);
        assertThat(plan.runs().getFirst().config().model().position()).isEqualTo(Position.LEARNED);
    }

    @Test
    void aGridTakesEveryCombinationAndSeedsRepeatEachRun() {
        StudyPlan plan = plan("""
                name = grid2
                preset = debug
                grid { model.position = [rotary, alibi], model.activation = [gelu, swiglu] }
                seeds = [1, 2]
                """);
        assertThat(plan.runs()).extracting(StudyPlan.Run::name).containsExactly(
                "position-rotary_activation-gelu-seed1", "position-rotary_activation-swiglu-seed1",
                "position-alibi_activation-gelu-seed1", "position-alibi_activation-swiglu-seed1",
                "position-rotary_activation-gelu-seed2", "position-rotary_activation-swiglu-seed2",
                "position-alibi_activation-gelu-seed2", "position-alibi_activation-swiglu-seed2");
        assertThat(plan.base()).isEqualTo("position-rotary_activation-gelu-seed1");
        assertThat(plan.runs().get(5).config().train().seed()).isEqualTo(2);
        assertThat(plan.runs().get(5).config().model().activation()).isEqualTo(Activation.SWIGLU);
    }

    @Test
    void anUnknownAxisOrValueIsRejectedWithTheKeyAndItsLineInTheStudyFile() {
        assertThatThrownBy(() -> plan("""
                preset = debug
                ablations = [
                  {model.position = alibi}
                  {model.positon = rotary}
                ]
                """)).isInstanceOf(SettingsException.class)
                .hasMessageContaining("model.positon").hasMessageContaining("positions.conf:4").hasMessageContaining("model.position");
        assertThatThrownBy(() -> plan("""
                preset = debug
                ablations = [{model.position = sinusoidal}]
                """)).isInstanceOf(SettingsException.class)
                .hasMessageContaining("model.position").hasMessageContaining("positions.conf:2").hasMessageContaining("sinusoidal")
                .hasMessageContaining("position-sinusoidal");
        assertThatThrownBy(() -> plan("preset = debug\nablation = [{model.position = alibi}]\n"))
                .isInstanceOf(SettingsException.class).hasMessageContaining("ablation").hasMessageContaining("ablations");
    }

    @Test
    void anAblationOrAGridCanPutARunOnAnotherPresetUnderTheSameSettings() {
        StudyPlan plan = plan("""
                preset = debug
                settings { train.steps = 9, model.position = rotary }
                ablations = [
                  {name = encoder-decoder, preset = debug-encoder-decoder}
                  {preset = debug-non-causal
                   train.lr = 0.01}
                ]
                """);
        assertThat(plan.runs()).extracting(StudyPlan.Run::name).containsExactly("base", "encoder-decoder", "preset-debug-non-causal_lr-0.01");
        RunConfig encoderDecoder = plan.runs().get(1).config();
        assertThat(plan.runs().get(1).change()).isEqualTo(Map.of("preset", "debug-encoder-decoder"));
        assertThat(encoderDecoder.model().architecture()).isEqualTo(Architecture.ENCODER_DECODER);
        assertThat(encoderDecoder.model().seqLen()).as("the preset's").isNotEqualTo(plan.runs().getFirst().config().model().seqLen());
        assertThat(encoderDecoder.train().steps()).as("the study's settings win over the run's preset").isEqualTo(9);
        assertThat(encoderDecoder.model().position()).isEqualTo(Position.ROTARY);
        assertThat(plan.runs().get(2).config().train().objective()).isEqualTo(Objective.PREFIX_LM);
        assertThat(plan.runs().get(2).config().train().lr()).isEqualTo(0.01);
        assertThat(plan("grid { preset = [debug, debug-non-causal] }").runs()).extracting(StudyPlan.Run::name)
                .containsExactly("preset-debug", "preset-debug-non-causal");
        assertThatThrownBy(() -> plan("preset = debug\nablations = [\n  {preset = huge}\n]\n")).isInstanceOf(SettingsException.class)
                .hasMessageContaining("preset (positions.conf:3)").hasMessageContaining("unknown preset 'huge'");
    }

    static List<String> shippedStudies() throws java.io.IOException {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("studies"))) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".conf")).sorted().toList();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("shippedStudies")
    void theShippedStudiesExpandAndValidate(String file) throws Exception {
        java.nio.file.Path path = java.nio.file.Path.of("studies", file);
        StudyPlan plan = StudyPlan.parse(new Settings.Text(path.toString(), java.nio.file.Files.readString(path)), "x",
                f -> { throw new AssertionError("no config files expected, got " + f); }, List.of());
        assertThat(plan.runs()).hasSizeGreaterThan(file.startsWith("architectures") ? 2 : 4);
        assertThat(plan.runs().getFirst().name()).isEqualTo("base");
        assertThat(plan.name()).as("named after its file").isEqualTo(file.replaceFirst("\\.conf$", ""));
        if (file.startsWith("paper")) {
            RunConfig base = plan.runs().getFirst().config();
            assertThat((long) base.train().globalBatchSize() * base.model().seqLen() * base.train().steps()).isBetween(111_900_000_000L, 112_100_000_000L);
            assertThat(base.eval().tasks()).hasSize(28);
            assertThat(plan.runs()).extracting(StudyPlan.Run::name).contains("data-c4", "data-pile", "position-none", "position-rotary",
                    "position-alibi", "activation-swiglu", "embedding-layernorm-on");
        }
    }
}
