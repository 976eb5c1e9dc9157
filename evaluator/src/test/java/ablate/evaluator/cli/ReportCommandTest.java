package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `ablate report` on damaged inputs: one line naming the file and line, no stack trace, nothing
 * written; on a study: which run is the base and why.
 */
class ReportCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String err) {}

    private Result report(Path input) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(e);
            int code = new CommandLine(new ReportCommand()).execute(input.toString(), "--out", dir.resolve("out").toString());
            return new Result(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void damagedResultsStudyConfAndMetricsAreNamedWithTheirLine() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\n  \"results\": {\n    \"piqa\": {\"acc\": 0.6,,}\n  }\n}\n");
        Result json = report(broken);
        assertThat(json.code()).isEqualTo(1);
        assertThat(json.err()).contains("broken.json:3: not valid JSON").doesNotContain("\tat ");

        Path study = Files.createDirectories(dir.resolve("study"));
        Files.writeString(study.resolve("study.conf"), "base = \"unclosed\n");
        Result conf = report(study);
        assertThat(conf.code()).isEqualTo(1);
        assertThat(conf.err()).contains("study.conf").doesNotContain("\tat ");

        Path run = Files.createDirectories(dir.resolve("runs/r1"));
        Files.copy(Path.of("../conf/src/main/resources/presets/debug.conf"), run.resolve("config.conf")); // a run's config
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\": 1, \"loss\": 5.0, \"tokens\": 1024}\nnot json\n"
                + "{\"step\": 3, \"loss\": 4.0, \"tokens\": 3072}\n");
        Result metrics = report(run);
        assertThat(metrics.code()).isEqualTo(1);
        assertThat(metrics.err()).contains("metrics.jsonl:2: not a metrics line").doesNotContain("\tat ");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void theConsoleSaysWhichRunIsTheBaseAndWhy() throws Exception {
        String debug = Files.readString(Path.of("../conf/src/main/resources/presets/debug.conf"));
        Path study = Files.createDirectories(dir.resolve("study"));
        for (String[] run : new String[][] {{"activation-swiglu", "model.activation = swiglu"}, {"base", ""},
                {"position-alibi", "model.position = alibi"}}) {
            Path r = Files.createDirectories(study.resolve(run[0]));
            Files.writeString(r.resolve("config.conf"), debug + "\n" + run[1] + "\n");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            code = new CommandLine(new ReportCommand()).execute(study.toString(), "--out", dir.resolve("out").toString());
        } finally {
            System.setOut(old);
        }
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("base: base (every other run differs from it in one setting; "
                + "set `base = NAME` in study.conf to choose)");
    }
}
