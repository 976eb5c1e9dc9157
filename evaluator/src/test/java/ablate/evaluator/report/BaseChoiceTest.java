package ablate.evaluator.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jsoup.Jsoup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which run a study compares the others with when study.conf names none, and that the report says why. */
class BaseChoiceTest {
    @TempDir
    Path study;

    private Report report() throws Exception {
        return new Report(Study.load(List.of(study)));
    }

    @Test
    void aBaseNamedInStudyConfWinsAndTheReportSaysSo() throws Exception {
        RunFolder.write(study.resolve("alibi"), "model.position = alibi");
        RunFolder.write(study.resolve("learned"), "model.position = learned");
        Files.writeString(study.resolve(Study.STUDY_CONF), "base = learned\n");
        Study s = Study.load(List.of(study));
        assertThat(s.base()).isEqualTo("learned");
        assertThat(s.baseChoice().describe()).isEqualTo("learned (named in study.conf)");
        assertThat(new Report(s).markdown()).contains("Base: `learned` (named in study.conf).");
    }

    @Test
    void withoutStudyConfTheRunEveryOtherDiffersFromInOneSettingIsTheBase() throws Exception {
        // sorted by name the first would be activation-swiglu; the one-change-at-a-time study's common point is "base"
        RunFolder.write(study.resolve("activation-swiglu"), "model.activation = swiglu");
        RunFolder.write(study.resolve("base"), "");
        RunFolder.write(study.resolve("position-alibi"), "model.position = alibi");
        Report report = report();
        Study s = Study.load(List.of(study));
        assertThat(s.base()).isEqualTo("base");
        assertThat(s.baseChoice().how()).isEqualTo(BaseChoice.How.COMMON_POINT);
        String why = "every other run differs from it in one setting; set `base = NAME` in study.conf to choose";
        assertThat(report.markdown()).contains("Base: `base` (" + why + ").");
        assertThat(Jsoup.parse(report.html()).selectFirst("#base").text()).startsWith("Base: base (" + why + ").");
        assertThat(report.summary()).filteredOn(row -> (boolean) row.get("base")).extracting(row -> row.get("name")).containsExactly("base");
    }

    @Test
    void twoRunsHaveNoCommonPointSoTheFirstIsTakenAndTheReportSaysHowToChoose() throws Exception {
        RunFolder.write(study.resolve("alibi"), "model.position = alibi");
        RunFolder.write(study.resolve("learned"), "model.position = learned");
        Study s = Study.load(List.of(study));
        assertThat(s.base()).isEqualTo("alibi");
        assertThat(s.baseChoice().how()).isEqualTo(BaseChoice.How.FIRST);
        assertThat(report().markdown()).contains("Base: `alibi` (the first in order; no run is the common point that every "
                + "other run differs from in one setting; set `base = NAME` in study.conf to choose).");
    }

    @Test
    void threeValuesOfOneAxisAlsoHaveNoCommonPoint() throws Exception {
        for (String p : List.of("alibi", "learned", "none")) {
            RunFolder.write(study.resolve(p), "model.position = " + p);
        }
        assertThat(Study.load(List.of(study)).baseChoice()).isEqualTo(new BaseChoice("alibi", BaseChoice.How.FIRST));
    }

    @Test
    void aRunDifferingFromAnotherInTwoSettingsIsNoCommonPoint() throws Exception {
        RunFolder.write(study.resolve("a"), "model.position = alibi\nmodel.activation = swiglu");
        RunFolder.write(study.resolve("b"), "");
        RunFolder.write(study.resolve("c"), "model.position = alibi");
        // c differs from a in one setting and from b in one: c is the common point, though a sorts first
        assertThat(Study.load(List.of(study)).baseChoice()).isEqualTo(new BaseChoice("c", BaseChoice.How.COMMON_POINT));
    }
}
