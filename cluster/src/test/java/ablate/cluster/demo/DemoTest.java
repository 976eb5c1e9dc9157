package ablate.cluster.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ablate demo` shortened (--steps, --limit): the whole study on a local cluster of JVMs, and nothing left running. */
class DemoTest {
    @TempDir
    Path dir;

    @Test
    void theDemoTrainsScoresAndReportsTheStudyThenStopsEveryNode() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Path out = dir.resolve("demo");
        int exit;
        try (PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exit = new Demo(new Demo.Plan(Axis.POSITIONS, out, 30, 40, null, null, List.of(), 2, Duration.ofMinutes(10)), print).run();
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(text).isZero();
        assertThat(text).contains("submitted study positions: 4 runs").contains("4 of 4 runs finished, 4 scored")
                .contains("| position-alibi |").contains("| position-none |").contains("| position-rotary |")
                .contains("verdicts (paired t-test").contains("stopping the nodes");
        assertThat(out.resolve("report").resolve("report.html")).isRegularFile();
        for (String run : List.of("base", "position-none", "position-rotary", "position-alibi")) {
            assertThat(out.resolve("runs/positions").resolve(run).resolve("eval/step-30.json")).isRegularFile();
        }
        assertThat(Files.readString(out.resolve("runs/positions/study.conf"))).contains("base = \"base\"");
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()).as("nodes left running").isEmpty();
    }

    /** The architecture axis: a causal and a non-causal decoder and an encoder-decoder of equal FLOPs, trained and scored alike. */
    @Test
    void theArchitectureAxisTrainsAndScoresDecodersAndAnEncoderDecoder() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Path out = dir.resolve("arch");
        int exit;
        try (PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exit = new Demo(new Demo.Plan(Axis.ARCHITECTURES, out, 20, 30, null, null, List.of(), 2, Duration.ofMinutes(10)), print).run();
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(text).isZero();
        assertThat(text).contains("submitted study architectures: 3 runs").contains("3 of 3 runs finished, 3 scored")
                .contains("| encoder-decoder |").contains("| non-causal-decoder |");
        for (String run : List.of("base", "non-causal-decoder", "encoder-decoder")) {
            assertThat(out.resolve("runs/architectures").resolve(run).resolve("eval/step-20.json")).isRegularFile();
        }
        assertThat(Files.readString(out.resolve("runs/architectures/encoder-decoder/config.conf")))
                .contains("encoder-decoder").contains("span-corruption");
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()).as("nodes left running").isEmpty();
    }

    @Test
    void aFolderWithFilesIsNeverWrittenInto() throws Exception {
        Path out = Files.createDirectories(dir.resolve("earlier"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        Demo demo = new Demo(new Demo.Plan(Axis.POSITIONS, out, 30, 40, null, null, List.of(), 2, Duration.ofMinutes(10)), System.out);
        assertThatThrownBy(demo::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds files");
        assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
        try (var files = Files.list(out)) {
            assertThat(files.toList()).hasSize(1);
        }
    }
}
