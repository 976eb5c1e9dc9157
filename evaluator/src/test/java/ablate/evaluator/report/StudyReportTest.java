package ablate.evaluator.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.evaluator.planner.AxisChoice;
import ablate.trainer.run.Run;
import ablate.trainer.run.RunDirectory;
import ablate.trainer.run.TrainingData;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.parser.Parser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report from a tiny real study: two debug runs trained here (learned positions, the base, and
 * ALiBi), each with a zero-shot result file in the harness layout at its last step.
 */
class StudyReportTest {
    @TempDir
    static Path tmp;
    static Path study;
    static Path html;

    @BeforeAll
    static void trainTwoRunsAndReport() throws Exception {
        study = tmp.resolve("study");
        Files.createDirectories(study);
        Files.writeString(study.resolve(Study.STUDY_CONF), "# the variant the others are compared with\nbase = learned\n");
        train("learned", "learned", 0.40);
        train("alibi", "alibi", 0.46);
        html = new Report(Study.load(List.of(study))).write(tmp.resolve("out"));
    }

    private static void train(String name, String position, double acc) throws Exception {
        RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", "model.position=" + position, "train.steps=12",
                "train.eval-interval=4", "train.threads=2", "train.eval-sequences=8", "data.builtin.train-documents=500",
                "checkpoint.interval=0"));
        Path dir = study.resolve(name);
        try (TrainingData data = TrainingData.open(config.data(), config.train().seed(), Path.of(""))) {
            new Run(config, RunDirectory.create(dir, config.render()), data).execute(line -> { });
        }
        // Harness layout, as the evaluator writes it: five tasks, acc and its stderr.
        StringBuilder results = new StringBuilder("{\"results\": {");
        String[] tasks = {"arc_easy", "boolq", "copa", "piqa", "winogrande"};
        for (int i = 0; i < tasks.length; i++) {
            double a = acc + 0.01 * i;
            results.append(i == 0 ? "" : ",").append("\"").append(tasks[i]).append("\": {\"acc\": ").append(a)
                    .append(", \"acc_stderr\": 0.01}");
        }
        results.append(", \"lambada\": {\"ppl\": 40.0, \"ppl_stderr\": 2.0}");
        results.append("}, \"versions\": {\"arc_easy\": 0}, \"config\": {\"model\": \"ablate\", \"num_fewshot\": 0}}");
        Files.createDirectories(dir.resolve("eval"));
        Files.writeString(dir.resolve("eval/step-12.json"), results.toString());
    }

    @Test
    void theReportIsValidHtmlWithTheTableAndCharts() throws Exception {
        Parser parser = Parser.htmlParser().setTrackErrors(50);
        Document doc = Jsoup.parse(Files.readString(html), "", parser);
        assertThat(parser.getErrors()).as("HTML parse errors").isEmpty();
        assertThat(doc.select("#summary tr")).hasSize(3);
        assertThat(doc.selectFirst("#summary tr[data-variant=learned]").text()).contains("base");
        // ALiBi's tasks are each 6 points above the base's: a real difference by the paired test.
        String alibi = doc.selectFirst("#summary tr[data-variant=alibi]").text();
        assertThat(alibi).contains("+6.00").contains("better");
        assertThat(alibi).as("MFU as a percentage, as every other human-read figure").containsPattern(" \\d+\\.\\d% ");
        for (String chart : List.of("loss", "accuracy", "tasks", "throughput")) {
            assertThat(doc.selectFirst("svg#" + chart)).as(chart + " chart").isNotNull();
        }
        assertThat(doc.select("script, link, img[src^=http]")).as("self-contained").isEmpty();
        assertThat(Files.readString(html.resolveSibling("report.md"))).contains("| alibi |").contains("lambada (ppl)");
        List<AxisChoice> findings = Findings.of(Study.load(List.of(study)));
        assertThat(findings).singleElement().satisfies(c -> {
            assertThat(c.axis()).isEqualTo("position");
            assertThat(c.value()).isEqualTo("alibi");
            assertThat(c.significant()).isTrue();
        });
    }

    @Test
    void theReportOpensInHeadlessChromium() throws Exception {
        String chromium = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome").stream()
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse("");
        assumeTrue(!chromium.isEmpty(), "SKIPPED LOUDLY: no chromium binary (/usr/bin/chromium); install Debian's "
                + "package with `apt-get install -y chromium` to take the report's screenshot");
        Path png = tmp.resolve("report.png");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--window-size=1280,2600", "--screenshot=" + png, html.toUri().toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("chromium.log").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(png).exists();
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1280);
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 7) {
            for (int x = 0; x < image.getWidth(); x += 7) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours: text, table and charts were drawn").isGreaterThan(20);
        Path keep = Path.of("target", "report-screenshot.png");
        Files.createDirectories(keep.getParent());
        Files.copy(png, keep, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(html, Path.of("target", "report-sample.html"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(new File(keep.toString()).length()).isGreaterThan(20_000);
    }
}
