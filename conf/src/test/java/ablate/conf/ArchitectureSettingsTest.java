package ablate.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** model.architecture and train.objective (issue 17): the pairs that parse, and the errors of the others. */
class ArchitectureSettingsTest {

    static List<Arguments> everyArchitectureAndObjective() {
        List<Arguments> out = new ArrayList<>();
        for (Architecture a : Architecture.values()) {
            for (Objective o : Objective.values()) {
                out.add(Arguments.of(a, o));
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("everyArchitectureAndObjective")
    void onlyTheStudysPairsParseAndAnyOtherNamesTheObjectiveKeyAndWhatIsAllowed(Architecture a, Objective o) {
        String[] overrides = {"model.architecture=" + a.key(), mask(a), "train.objective=" + o.key()};
        boolean fits = switch (a) {
            case CAUSAL_DECODER -> o == Objective.FULL_LM;
            case NON_CAUSAL_DECODER -> o == Objective.PREFIX_LM;
            case ENCODER_DECODER -> o == Objective.SPAN_CORRUPTION;
        };
        if (fits) {
            RunConfig run = Settings.load(Settings.Sources.ofPreset("debug", overrides));
            assertThat(run.model().architecture()).isEqualTo(a);
            assertThat(run.train().objective()).isEqualTo(o);
            assertThat(run.model().attentionMask()).isEqualTo(a.attentionMask());
        } else {
            assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", overrides)))
                    .isInstanceOf(SettingsException.class)
                    .hasMessageStartingWith("train.objective (--set train.objective=" + o.key() + "): " + o.key()
                            + " does not fit model.architecture = " + a.key())
                    .hasMessageContaining("allowed with " + a.key() + ": " + a.defaultObjective().key() + " (or auto)");
        }
    }

    @Test
    void configsWrittenBeforeTheKeysMeanWhatTheyMeant() {
        RunConfig gpt = Settings.load(Settings.Sources.ofPreset("debug"));
        assertThat(gpt.model().architecture()).isEqualTo(Architecture.CAUSAL_DECODER);
        assertThat(gpt.model().attentionMask()).isEqualTo(AttentionMask.CAUSAL);
        assertThat(gpt.train().objective()).isEqualTo(Objective.FULL_LM);
        RunConfig prefix = Settings.load(Settings.Sources.ofPreset("debug", "model.attention-mask=prefix"));
        assertThat(prefix.model().architecture()).isEqualTo(Architecture.NON_CAUSAL_DECODER);
        assertThat(prefix.train().objective()).isEqualTo(Objective.PREFIX_LM);
        RunConfig causal = Settings.load(Settings.Sources.ofPreset("debug", "model.attention-mask=causal"));
        assertThat(causal.model().architecture()).isEqualTo(Architecture.CAUSAL_DECODER);
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void anAutoObjectiveIsTheArchitecturesOwn(Architecture a) {
        RunConfig run = Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=" + a.key(), mask(a)));
        assertThat(run.train().objective()).isEqualTo(a.defaultObjective());
        assertThat(run.train().objective().architecture()).isEqualTo(a);
    }

    @Test
    void aMaskAndAnArchitectureSetApartAreRefusedNamingBoth() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.attention-mask=prefix",
                "model.architecture=causal-decoder")))
                .isInstanceOf(SettingsException.class)
                .hasMessageStartingWith("model.architecture (--set model.architecture=causal-decoder): causal-decoder does not fit"
                        + " model.attention-mask = prefix: causal-decoder needs model.attention-mask = causal");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.attention-mask=causal",
                "model.architecture=non-causal-decoder")))
                .hasMessageContaining("model.attention-mask = causal").hasMessageContaining("model.attention-mask = prefix");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.attention-mask=prefix",
                "model.architecture=encoder-decoder")))
                .hasMessageContaining("model.architecture").hasMessageContaining("model.attention-mask = prefix");
        assertThat(Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=encoder-decoder")).model().attentionMask())
                .as("an encoder-decoder's decoder is causal, the default mask").isEqualTo(AttentionMask.CAUSAL);
    }

    @Test
    void aNonCausalDecoderSetAloneAsksForThePrefixMaskToo() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=non-causal-decoder")))
                .hasMessageContaining("non-causal-decoder does not fit model.attention-mask = causal: non-causal-decoder needs"
                        + " model.attention-mask = prefix")
                .hasMessageContaining("or model.architecture = auto to follow the mask");
    }

    @Test
    void anUnknownArchitectureOrObjectiveListsTheAllowedValues() {
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=decoder")))
                .hasMessageContaining("model.architecture (--set model.architecture=decoder): 'decoder' is not one of:"
                        + " auto | causal-decoder | non-causal-decoder | encoder-decoder");
        assertThatThrownBy(() -> Settings.load(Settings.Sources.ofPreset("debug", "train.objective=mlm")))
                .hasMessageContaining("train.objective (--set train.objective=mlm): 'mlm' is not one of:"
                        + " auto | full-lm | prefix-lm | span-corruption");
    }

    @Test
    void theResolvedArchitectureRoundTripsThroughTheModelsSettings() {
        for (Architecture a : Architecture.values()) {
            ModelConfig model = Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=" + a.key(), mask(a))).model();
            var keys = new java.util.LinkedHashMap<String, Object>();
            model.toSettings().forEach((k, v) -> keys.put("model." + k, v));
            assertThat(Settings.parse(com.typesafe.config.ConfigFactory.parseMap(keys)).model()).isEqualTo(model);
        }
    }

    @Test
    void switchingADecodersMaskSwitchesItsArchitecture() {
        ModelConfig gpt = Settings.load(Settings.Sources.ofPreset("debug")).model();
        ModelConfig prefix = gpt.withAxes(gpt.position(), gpt.activation(), gpt.embeddingLayerNorm(), AttentionMask.PREFIX);
        assertThat(prefix.architecture()).isEqualTo(Architecture.NON_CAUSAL_DECODER);
    }

    /** The mask the architecture needs, which must be set beside it. */
    private static String mask(Architecture a) {
        return "model.attention-mask=" + a.attentionMask().name().toLowerCase(java.util.Locale.ROOT);
    }
}
