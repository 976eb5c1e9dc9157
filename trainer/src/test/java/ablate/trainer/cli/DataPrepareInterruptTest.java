package ablate.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ctrl-C (a real SIGINT to a separate JVM) during `ablate data prepare` leaves nothing behind and says so. */
class DataPrepareInterruptTest {
    @TempDir
    Path tmp;

    @Test
    void anInterruptRemovesThePartialOutputSaysNothingWasWrittenAndExits130() throws Exception {
        Path inputs = Files.createDirectories(tmp.resolve("inputs"));
        Path first = inputs.resolve("part-0.jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(first, StandardCharsets.UTF_8)) {
            for (int i = 0; i < 200_000; i++) {
                w.write("{\"text\": \"document " + i + " of words that the byte tokenizer turns into about a hundred tokens each, padded\"}\n");
            }
        }
        for (int i = 1; i < 12; i++) { // the same file again under other names: minutes of work for one thread, no extra disk
            Files.createLink(inputs.resolve("part-" + i + ".jsonl"), first);
        }
        Path out = tmp.resolve("corpus");
        Path log = tmp.resolve("prepare.log");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), DataCommand.Prepare.class.getName(),
                "--input", inputs.toString(), "--out", out.toString(), "--threads", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (partial(tmp).isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(p.isAlive()).as("still preparing when signalled: %s", Files.readString(log)).isTrue();
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String said = Files.readString(log);
        assertThat(p.exitValue()).as(said).isEqualTo(Interrupts.EXIT);
        assertThat(said).contains("INT: stopping; the partial output is removed")
                .contains("interrupted: nothing was written to " + out + "; rerun the same command to prepare it");
        assertThat(out).doesNotExist();
        assertThat(partial(tmp)).as("no temporary folder left").isEmpty();
    }

    private static List<Path> partial(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith(".corpus.tmp-")).toList();
        }
    }
}
