package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
import ablate.trainer.cli.DataCommand;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Compressed inputs that are cut short or are not what their name says: named, and nothing half-written is left. */
class DamagedInputTest {

    @TempDir
    Path dir;

    /** Many documents, so that the damage is met after some were already tokenized and written. */
    private static final String TEXT = documents(2_000);

    private static String documents(int n) {
        var random = new Random(1);
        var lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            lines.append("{\"text\": \"document ").append(i).append(' ').append(Long.toHexString(random.nextLong())).append("\"}\n");
        }
        return lines.toString();
    }

    static Stream<Arguments> damagedFiles() {
        return Stream.of(
                Arguments.of("a truncated gzip", "cut.jsonl.gz", cut(compress(TEXT, GZIPOutputStream::new), 0.6), "is truncated"),
                Arguments.of("a gzip cut inside its header", "stub.jsonl.gz", cut(compress(TEXT, GZIPOutputStream::new), 0.0002), "is truncated"),
                Arguments.of("a truncated zstd", "cut.jsonl.zst", cut(compress(TEXT, ZstdOutputStream::new), 0.6), "is truncated"),
                Arguments.of("random bytes named .zst", "noise.jsonl.zst", random(4096), "is corrupt: not valid zstd data"),
                Arguments.of("random bytes named .gz", "noise.txt.gz", random(4096), "is corrupt: not valid gzip data"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damagedFiles")
    void aDamagedCompressedInputIsNamedAndLeavesNoOutput(String what, String name, byte[] bytes, String problem) throws IOException {
        Path inputs = Files.createDirectories(dir.resolve("inputs"));
        Files.writeString(inputs.resolve("a-good.jsonl"), "{\"text\": \"read before the damaged file\"}\n");
        Path damaged = Files.write(inputs.resolve(name), bytes);

        assertThatThrownBy(() -> DataPrepare.run(options(inputs)))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("input " + damaged + " " + problem)
                .hasMessageContaining("nothing was written");

        assertThat(dir.resolve("out")).doesNotExist();
        assertThat(dir.toFile().list()).as("no .out.tmp-* folder is left behind").containsExactly("inputs");
    }

    @Test
    void theCommandSaysSoInOneLineAndExitsWithBadInput() throws IOException {
        Path damaged = Files.write(dir.resolve("cut.jsonl.gz"), cut(compress(TEXT, GZIPOutputStream::new), 0.5));
        FolderState before = FolderState.of(dir);
        CommandOutput ran = CommandOutput.of(() -> new CommandLine(new DataCommand()).execute("prepare", "--input",
                damaged.toString(), "--out", dir.resolve("out").toString(), "--threads", "1"));
        ran.assertRefused(2);
        assertThat(ran.err().lines().filter(l -> l.startsWith("error: "))).singleElement().asString()
                .contains(damaged.toString()).contains("is truncated");
        before.assertUnchanged(); // no output, no temporary folder left behind
    }

    @Test
    void anIntactCompressedFileStillReads() throws IOException {
        Path inputs = Files.createDirectories(dir.resolve("inputs"));
        Files.write(inputs.resolve("whole.jsonl.gz"), compress(TEXT, GZIPOutputStream::new));
        Files.write(inputs.resolve("whole.jsonl.zst"), compress(TEXT, ZstdOutputStream::new));
        assertThat(DataPrepare.run(options(inputs)).documents()).isEqualTo(2 * 2_000);
    }

    private PrepareOptions options(Path input) {
        return PrepareOptions.defaults(List.of(input), dir.resolve("out")).withValFraction(0).withThreads(2);
    }

    private static byte[] compress(String text, DataPrepareTest.Compressor compressor) {
        var bytes = new ByteArrayOutputStream();
        try (OutputStream out = compressor.wrap(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    private static byte[] cut(byte[] bytes, double keep) {
        return Arrays.copyOf(bytes, Math.max(1, (int) (bytes.length * keep)));
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new Random(7).nextBytes(bytes);
        return bytes;
    }
}
