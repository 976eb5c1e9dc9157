package ablate.trainer.tensorboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventFolderTest {
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochSecond(1_700_000_000L, 250_000_000));

    @TempDir
    Path tmp;

    @Test
    void aFileIsNamedAsTensorFlowNamesIt() throws Exception {
        try (EventFile f = new EventFolder(tmp).replace("train", CLOCK)) {
            assertThat(f.path().getFileName().toString()).matches("events\\.out\\.tfevents\\.1700000000\\.[A-Za-z0-9._-]+\\.train");
        }
    }

    @Test
    void aNewFileReplacesOnlyItsOwnSuffixAndSortsAfterEveryFileThere() throws Exception {
        EventFolder folder = new EventFolder(tmp);
        Path other = tmp.resolve("events.out.tfevents.1700000005.elsewhere.eval-step-1");
        Files.write(other, new byte[0]);
        Path first;
        try (EventFile f = folder.replace("train", CLOCK)) {
            first = f.path();
        }
        Path second;
        try (EventFile f = folder.replace("train", CLOCK)) { // the same second: must still sort last
            second = f.path();
        }
        List<Path> files = folder.eventFiles();
        assertThat(files).containsExactly(other, second);
        assertThat(first).doesNotExist();
        assertThat(first.getFileName().toString()).as("after the other writer's file").startsWith("events.out.tfevents.1700000006.");
        assertThat(second.getFileName().toString()).startsWith("events.out.tfevents.1700000007.");
    }

    @Test
    void aSuffixThatCouldLeaveTheFolderIsRefused() {
        assertThatThrownBy(() -> new EventFolder(tmp).replace("../train", CLOCK)).isInstanceOf(IllegalArgumentException.class);
    }
}
