package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
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

    private CommandOutput report(Path input) {
        FolderState before = FolderState.of(dir);
        CommandOutput ran = CommandOutput.of(() -> new CommandLine(new ReportCommand()).execute(input.toString(), "--out",
                dir.resolve("out").toString()));
        before.assertUnchanged(); // a report reads; on a refusal it writes nothing either
        return ran;
    }

    @Test
    void damagedResultsStudyConfAndMetricsAreNamedWithTheirLine() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\n  \"results\": {\n    \"piqa\": {\"acc\": 0.6,,}\n  }\n}\n");
        report(broken).assertRefused(2, "broken.json:3: not valid JSON");

        Path study = Files.createDirectories(dir.resolve("study"));
        Files.writeString(study.resolve("study.conf"), "base = \"unclosed\n");
        report(study).assertRefused(2, "study.conf");

        Path run = Files.createDirectories(dir.resolve("runs/r1"));
        Files.copy(Path.of("../conf/src/main/resources/presets/debug.conf"), run.resolve("config.conf")); // a run's config
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\": 1, \"loss\": 5.0, \"tokens\": 1024}\nnot json\n"
                + "{\"step\": 3, \"loss\": 4.0, \"tokens\": 3072}\n");
        report(run).assertRefused(2, "metrics.jsonl:2: not a metrics line");
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
        CommandOutput ran = CommandOutput.of(() -> new CommandLine(new ReportCommand()).execute(study.toString(), "--out",
                dir.resolve("out").toString()));
        assertThat(ran.exit()).isZero();
        assertThat(ran.out()).contains("base: base (every other run differs from it in one setting; "
                + "set `base = NAME` in study.conf to choose)");
    }
}
