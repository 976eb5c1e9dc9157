package ablate.evaluator.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Results that cannot be written name their file, leave no temporary file behind and never
 * touch results already there. (A full disk's message, "no space left on device writing FILE",
 * comes from the write loop these results go through, tested on /dev/full in trainer's FullDiskTest.)
 */
class ResultsWriteFailureTest {
    @TempDir
    Path dir;

    private final ObjectNode json = new ObjectMapper().createObjectNode().put("results", "new");

    @Test
    void aResultsFileThatCannotBeReplacedIsNamedAndNoTemporaryFileStays() throws IOException {
        Path file = dir.resolve("results.json");
        Files.createDirectories(file);
        Files.writeString(file.resolve("earlier.json"), "{\"results\": \"earlier\"}");

        assertThatThrownBy(() -> HarnessResults.write(file, json)).isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith("cannot write results to " + file + ": ")
                .hasMessageEndingWith("; the results already in it are unchanged");

        assertThat(dir.toFile().list()).containsExactly("results.json");
        assertThat(file.resolve("earlier.json")).hasContent("{\"results\": \"earlier\"}");
    }

    @Test
    void writtenResultsReplaceTheEarlierOnesWhole() throws IOException {
        Path file = Files.writeString(dir.resolve("results.json"), "{\"results\": \"earlier\"}");
        HarnessResults.write(file, json);
        assertThat(new ObjectMapper().readTree(file.toFile()).get("results").asText()).isEqualTo("new");
        assertThat(dir.toFile().list()).containsExactly("results.json");
    }
}
