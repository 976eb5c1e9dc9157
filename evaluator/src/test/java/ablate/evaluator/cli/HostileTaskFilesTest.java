package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ablate eval --task-dir} with task definitions or data the user got wrong: one line on
 * stderr naming the file, line and key, exit 2, nothing written, and before the model is loaded.
 */
class HostileTaskFilesTest {
    private static final Path GPT2 = Path.of("../trainer/src/test/resources/hf/gpt2");

    private static final String GOOD = EvalCommandTest.clozeTask("mine", "mine.jsonl");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            a syntax error        | split = test|split = [test                          | mine.conf:5: | List should have ended with ] or had a comma
            an unclosed string    | harness = "test"|harness = "test                   | mine.conf:3: | Expecting a value but got wrong token: 'newline'
            an unknown key        | kind = cloze|kind = cloze\\nmetric = [{name = acc}] | mine.conf:6: | unknown key 'metric'; did you mean 'metrics'?
            a missing key         | kind = cloze|                                      | mine.conf:1: | No configuration setting found for key 'kind'
            a key of another type | version = 0|version = [0]                          | mine.conf:2: | version has type LIST rather than NUMBER
            """)
    void aBrokenTaskDefinitionIsOneLineNamingFileLineAndKey(String what, String replace, String with, String where, String problem)
            throws IOException {
        Path defs = definitions(GOOD.replace(replace, with == null ? "" : with.replace("\\n", "\n")));
        Files.writeString(data(), "{\"context\": \"a\", \"continuation\": \" b\"}\n");

        FolderState before = FolderState.of(dir);
        CommandOutput run = EvalCommandTest.run("--hf", GPT2.toString(), "--tasks", "mine", "--task-dir", defs.toString(),
                "--data-dir", dir.resolve("data").toString(), "--out", dir.resolve("results.json").toString());

        run.assertRefused(2, defs.resolve(where).toString(), problem);
        assertThat(errorLine(run)).contains(defs.resolve(where).toString()).contains(problem).doesNotContain("unexpected failure");
        before.assertUnchanged();
    }

    @Test
    void aMalformedDataLineIsNamedByFileAndLineBeforeTheModelLoads() throws IOException {
        Path defs = definitions(GOOD);
        Path data = data();
        Files.writeString(data, "{\"context\": \"a\", \"continuation\": \" b\"}\n\n{\"context\": \"c\", \"continuation\": \n");

        FolderState before = FolderState.of(dir);
        CommandOutput run = EvalCommandTest.run("--hf", dir.resolve("no-model-here").toString(), "--tasks", "mine", "--task-dir",
                defs.toString(), "--data-dir", dir.resolve("data").toString(), "--out", dir.resolve("results.json").toString());

        run.assertRefused(2);
        assertThat(errorLine(run)).contains("no task could run").contains("mine: " + data + ":3: expected one JSON object per line")
                .doesNotContain("no-model-here");
        before.assertUnchanged();
    }

    private Path definitions(String text) throws IOException {
        Path defs = Files.createDirectories(dir.resolve("defs"));
        Files.writeString(defs.resolve("mine.conf"), text);
        return defs;
    }

    private Path data() throws IOException {
        return Files.createDirectories(dir.resolve("data")).resolve("mine.jsonl");
    }

    private static String errorLine(CommandOutput run) {
        var lines = run.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertThat(lines).as(run.err()).hasSize(1);
        return lines.getFirst();
    }
}
