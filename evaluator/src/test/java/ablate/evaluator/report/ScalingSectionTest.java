package ablate.evaluator.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Scaling section fits a law only where the data determine it, and otherwise says so with no estimates. */
class ScalingSectionTest {
    @TempDir
    Path out;

    private static Variant run(String name, long n, List<double[]> validation) {
        return new Variant(name, "synthetic", Map.of("position", "learned"), List.of(), validation, validation,
                Speed.UNKNOWN, Double.NaN, n, "cpu");
    }

    private Document report(List<Variant> runs) throws Exception {
        Path html = new Report(new Study(runs, new BaseChoice(runs.getFirst().name(), BaseChoice.How.NAMED))).write(out);
        return Jsoup.parse(Files.readString(html));
    }

    /** The paragraphs after the Scaling heading. */
    private static String scaling(Document doc) {
        Element heading = doc.select("h2").stream().filter(h -> h.text().equals("Scaling")).findFirst().orElseThrow();
        StringBuilder text = new StringBuilder();
        for (Element e = heading.nextElementSibling(); e != null && !e.tagName().equals("h2"); e = e.nextElementSibling()) {
            text.append(e.text()).append('\n');
        }
        return text.toString();
    }

    @Test
    void fiveSizesGiveThreeFittedLawsWithTheirData() throws Exception {
        List<Variant> runs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long n = (long) (1e6 * Math.pow(4, i));
            List<double[]> val = new ArrayList<>();
            for (int k = 1; k <= 6; k++) {
                double d = 1e7 * k;
                val.add(new double[] {d, 1.7 + 400 * Math.pow(n, -0.34) + 400 * Math.pow(d, -0.28)});
            }
            runs.add(run("n" + i, n, val));
        }
        Document doc = report(runs);
        for (String id : List.of("scaling-n", "scaling-d", "scaling-c")) {
            assertThat(doc.selectFirst("svg#" + id)).as(id).isNotNull();
        }
        assertThat(doc.text()).contains("L(N) = E + A·X^-α over 5 points").contains("L(D) of n4");
    }

    /** The issue's case: four validation points of one 200-step run. */
    @Test
    void oneRunOfFourValidationPointsDeterminesNoLawAndShowsNoEstimates() throws Exception {
        List<double[]> val = List.of(new double[] {51_200, 4.91}, new double[] {102_400, 4.52}, new double[] {153_600, 4.38},
                new double[] {204_800, 4.33});
        Document doc = report(List.of(run("debug", 100_000, val)));
        String section = scaling(doc);
        System.out.println(section);
        assertThat(section).contains("L(N): not determined by these data (1 distinct model size; need >= 3).")
                .contains("L(D) of debug: not determined by these data (4 points from one run; need >= 6 from one run")
                .contains("L(C): not determined by these data (4 points from one run;");
        assertThat(section).doesNotContain("E =", "A =", "α =", "bootstrap α", "residual RMS");
        assertThat(doc.select("svg[id^=scaling]")).isEmpty();
        assertThat(Files.readString(out.resolve("report.md"))).contains("## Scaling")
                .contains("- L(N): not determined by these data (1 distinct model size; need >= 3).");
    }

    /** An exact L(N) over four sizes: the fit is a finding, its interval narrow; the degenerate bootstrap is not shown. */
    @Test
    void anExactLawOverFourSizesIsFittedWithANarrowIntervalAndNoDegenerateBootstrap() throws Exception {
        List<Variant> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            long n = (long) (1e6 * Math.pow(4, i));
            runs.add(run("n" + i, n, List.<double[]>of(new double[] {1e8, 1.7 + 400 * Math.pow(n, -0.34)})));
        }
        Document doc = report(runs);
        String section = scaling(doc);
        System.out.println(section);
        assertThat(section).containsPattern("L\\(N\\) = E \\+ A·X\\^-α over 4 points: E = 1\\.70* \\[1\\.7\\d*, 1\\.7\\d*\\]")
                .contains("α = 0.3400 [0.3400, 0.3400]")
                .contains("no bootstrap interval:");
        assertThat(doc.selectFirst("svg#scaling-n")).isNotNull();
        assertThat(section).contains("L(D) of n3: not determined by these data (1 distinct token count; need >= 3).");
    }
}
