package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prepares the real tinyshakespeare file from the shared data folder, when it is there. */
class TinyShakespeareTest {

    @TempDir
    Path dir;

    @Test
    void byteTokenizedTinyShakespeareHasOneTokenPerBytePlusEos() throws IOException {
        String shared = System.getProperty("ablate.shared", "");
        Path input = Path.of(shared.isEmpty() ? "../shared" : shared, "data", "tinyshakespeare", "input.txt");
        assumeTrue(Files.isRegularFile(input),
                () -> "NOT RUN: " + input.toAbsolutePath() + " is missing (system property ablate.shared=\""
                        + shared + "\"); tinyshakespeare preparation is untested");

        PrepareSummary summary = DataPrepare.run(
                PrepareOptions.defaults(List.of(input), dir.resolve("out")).withValFraction(0).withThreads(2));

        assertThat(summary.documents()).isEqualTo(1);
        assertThat(summary.tokens()).isEqualTo(Files.size(input) + 1);
        try (var corpus = PreparedCorpus.open(dir.resolve("out"))) {
            int[] head = new int[14];
            corpus.train().read(0, head);
            assertThat(new ByteTokenizer().decode(head)).isEqualTo("First Citizen:");
        }
    }
}
