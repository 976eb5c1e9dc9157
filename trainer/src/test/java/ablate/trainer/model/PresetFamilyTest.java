package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.Objective;
import ablate.conf.PresetFamily;
import ablate.conf.Presets;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.StudyPlan;
import ablate.testing.CommandOutput;
import ablate.trainer.cli.InspectCommand;
import ablate.trainer.run.LoopPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The preset families (tiny, tiny-non-causal, tiny-encoder-decoder, ...) spend the same training
 * compute, and the encoder-decoders' seq-len written in their files is still the one ModelSize's
 * accounting gives: when either changes, a test here names the value to write.
 */
class PresetFamilyTest {
    static final List<PresetFamily> FAMILIES = PresetFamily.ALL;

    @ParameterizedTest(name = "{0}")
    @FieldSource("FAMILIES")
    void theEncoderDecoderPresetHasTheSeqLenOfItsDecodersFlopsPerSequence(PresetFamily family) {
        ModelConfig decoder = load(family.preset(Architecture.CAUSAL_DECODER)).model();
        ModelConfig both = load(family.preset(Architecture.ENCODER_DECODER)).model();
        int matched = ModelSize.seqLenFor(both, new ModelSize(decoder).flopsPerSequence());
        assertThat(both.seqLen()).as("conf/src/main/resources/presets/%s.conf: write model.seq-len = %d, the seq-len whose training"
                + " FLOPs per sequence are nearest %s's", family.preset(Architecture.ENCODER_DECODER), matched, family.size())
                .isEqualTo(matched);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("FAMILIES")
    void theMembersSpendTheSameComputeAndTheEncoderDecoderHoldsAboutTwiceTheParameters(PresetFamily family) {
        RunConfig decoder = load(family.preset(Architecture.CAUSAL_DECODER));
        RunConfig nonCausal = load(family.preset(Architecture.NON_CAUSAL_DECODER));
        RunConfig both = load(family.preset(Architecture.ENCODER_DECODER));
        assertThat(decoder.train().objective()).isEqualTo(Objective.FULL_LM);
        assertThat(nonCausal.train().objective()).isEqualTo(Objective.PREFIX_LM);
        assertThat(both.train().objective()).isEqualTo(Objective.SPAN_CORRUPTION);
        for (RunConfig member : List.of(nonCausal, both)) {
            assertThat(member.train().steps()).as("steps").isEqualTo(decoder.train().steps());
            assertThat(member.train().globalBatchSize()).as("sequences per step").isEqualTo(decoder.train().globalBatchSize());
            assertThat(member.train().microBatchSize()).isEqualTo(decoder.train().microBatchSize());
            assertThat(member.train().lr()).isEqualTo(decoder.train().lr());
        }
        ModelConfig d = decoder.model();
        assertThat(nonCausal.model()).as("the decoder's shape with a prefix mask")
                .isEqualTo(d.withArchitecture(Architecture.NON_CAUSAL_DECODER, d.seqLen()));
        ModelConfig e = both.model();
        assertThat(e.withArchitecture(Architecture.CAUSAL_DECODER, d.seqLen())).as("the decoder's blocks, but for the padded vocabulary")
                .usingRecursiveComparison().ignoringFields("padVocabToMultipleOf").isEqualTo(d);

        ModelSize ds = new ModelSize(d);
        ModelSize ns = new ModelSize(nonCausal.model());
        ModelSize es = new ModelSize(e);
        assertThat(ns.flopsPerSequence()).isEqualTo(ds.flopsPerSequence());
        assertThat(ns.total()).isEqualTo(ds.total());
        assertThat(es.flopsPerSequence() / ds.flopsPerSequence()).as("FLOPs per sequence against the decoder's").isBetween(0.98, 1.02);
        // two stacks and a cross-attention per decoder block, a third of a block's weights: 2 + 1/3
        assertThat((double) es.nonEmbedding() / ds.nonEmbedding()).as("non-embedding parameters").isBetween(2.3, 2.4);
        assertThat((double) es.total() / ds.total()).as("parameters, one embedding shared").isBetween(1.8, 2.4);
    }

    /**
     * What `ablate train` checks at start of an encoder-decoder (its sentinels fit the padded
     * vocabulary), on every preset; SettingsTest parses every preset and ShapeLimitsTest checks its shape.
     */
    @Test
    void everyPresetPassesTheArchitectureChecksAtStart() {
        assertThat(Presets.ALL).containsAll(FAMILIES.stream().flatMap(f -> f.presets().stream()).toList());
        for (String preset : Presets.ALL) {
            LoopPolicy.checkArchitecture(load(preset));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"architectures-tiny.conf", "architectures-1b3.conf"})
    void theArchitectureStudiesTrainTheFamilyAtEqualCompute(String file) throws Exception {
        Path path = Path.of("../conf/studies", file);
        StudyPlan plan = StudyPlan.parse(new Settings.Text(path.toString(), Files.readString(path)), "x",
                f -> { throw new AssertionError("no config files expected, got " + f); }, List.of());
        assertThat(plan.runs()).extracting(StudyPlan.Run::name).containsExactly("base", "non-causal", "encoder-decoder");
        assertThat(plan.runs()).extracting(r -> r.config().model().architecture())
                .containsExactly(Architecture.CAUSAL_DECODER, Architecture.NON_CAUSAL_DECODER, Architecture.ENCODER_DECODER);
        RunConfig base = plan.runs().getFirst().config();
        double compute = new ModelSize(base.model()).flopsPerSequence() * base.train().globalBatchSize() * base.train().steps();
        for (StudyPlan.Run run : plan.runs()) {
            RunConfig c = run.config();
            LoopPolicy.checkArchitecture(c);
            assertThat(c.eval().tasks()).as(run.name()).isEqualTo(base.eval().tasks()).isNotEmpty();
            double runCompute = new ModelSize(c.model()).flopsPerSequence() * c.train().globalBatchSize() * c.train().steps();
            assertThat(runCompute / compute).as(run.name() + ": training FLOPs against the base's").isBetween(0.98, 1.02);
        }
    }

    @Test
    void inspectPrintsTheFamilyWithEachMembersFlopsAgainstTheDecoders() {
        CommandOutput r = CommandOutput.of(() -> new CommandLine(new InspectCommand()).execute("--preset", "tiny-encoder-decoder"));
        assertThat(r.exit()).as(r.err()).isZero();
        ModelSize both = new ModelSize(load("tiny-encoder-decoder").model());
        assertThat(r.out()).contains("preset family tiny: the architectures at tiny's training FLOPs per sequence (Wang et al. 2022)\n")
                .containsPattern("\ntiny +causal-decoder +full-lm +850,688 +793,344 +128 +0\\.7361 +1\\.0000 +1\\.000\n")
                .containsPattern("\ntiny-non-causal +non-causal-decoder +prefix-lm +850,688 +793,344 +128 +0\\.7361 +1\\.0000 +1\\.000\n")
                .containsPattern("\ntiny-encoder-decoder +encoder-decoder +span-corruption +1,917,696 +1,851,904 +"
                        + both.encoderLength() + " \\+ " + both.decoderLength() + " +0\\.73\\d\\d +(0\\.9[89]|1\\.0[01])\\d\\d +2\\.33\\d\n")
                .containsPattern("architecture=causal-decoder \\(seq 128, same compute\\)");
        CommandOutput alibi = CommandOutput.of(() -> new CommandLine(new InspectCommand()).execute("--preset", "tiny", "--set",
                "model.position=alibi"));
        assertThat(alibi.out()).contains("preset family tiny: the architectures at tiny's training FLOPs per sequence (Wang et al. 2022),"
                + " each with the same --config and --set\n").containsPattern("\ntiny-encoder-decoder +encoder-decoder .* 2\\.33\\d\n");
        CommandOutput size = CommandOutput.of(() -> new CommandLine(new InspectCommand()).execute("--preset", "176b"));
        assertThat(size.out()).as("a size without a family").doesNotContain("preset family");
        CommandOutput moved = CommandOutput.of(() -> new CommandLine(new InspectCommand()).execute("--preset", "tiny", "--set",
                "model.architecture=encoder-decoder"));
        assertThat(moved.out()).as("--set took it off its architecture").doesNotContain("preset family");
    }

    private static RunConfig load(String preset) {
        return Settings.load(Settings.Sources.ofPreset(preset));
    }
}
