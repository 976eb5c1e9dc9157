package ablate.cluster.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.trainer.run.MetricsLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's follower of metrics.jsonl: only new complete lines, in bounded batches, and a fresh start when a resume rewrites the file. */
class MetricsTailTest {
    @TempDir
    Path run;

    @Test
    void readsOnlyCompleteNewLinesInBoundedBatches() throws Exception {
        Path file = run.resolve(MetricsLog.FILE);
        MetricsTail tail = new MetricsTail(run);
        assertThat(tail.read(10).lines()).as("no file yet").isEmpty();
        Files.writeString(file, lines(1, 25));
        MetricsTail.Batch first = tail.read(10);
        assertThat(first.lines()).hasSize(10);
        assertThat(first.lines().getFirst().path("step").asLong()).isEqualTo(1);
        assertThat(first.next()).isEqualTo(10);
        assertThat(tail.read(10).lines().getLast().path("step").asLong()).isEqualTo(20);
        Files.writeString(file, "{\"step\": 26, \"lo", StandardOpenOption.APPEND);
        MetricsTail.Batch third = tail.read(10);
        assertThat(third.lines()).as("the half-written line waits").extracting(n -> n.path("step").asLong()).containsExactly(21L, 22L, 23L, 24L, 25L);
        Files.writeString(file, "ss\": 1.5}\n", StandardOpenOption.APPEND);
        MetricsTail.Batch fourth = tail.read(10);
        assertThat(fourth.lines()).extracting(n -> n.path("loss").asDouble()).containsExactly(1.5);
        assertThat(fourth.reset()).isFalse();
        assertThat(tail.read(10).lines()).isEmpty();
    }

    @Test
    void aResumeThatRewritesTheLogStartsThePageOver() throws Exception {
        MetricsTail tail = new MetricsTail(run);
        try (MetricsLog log = MetricsLog.open(run, List.of())) {
            // a run's own writer: the file is replaced atomically on open
        }
        Files.writeString(run.resolve(MetricsLog.FILE), lines(1, 30), StandardOpenOption.APPEND);
        assertThat(tail.read(100).lines()).hasSize(30);
        List<String> checkpointLines = lines(1, 20).lines().toList();
        try (MetricsLog log = MetricsLog.open(run, checkpointLines)) {
            MetricsTail.Batch after = tail.read(100);
            assertThat(after.reset()).isTrue();
            assertThat(after.lines()).extracting(n -> n.path("step").asLong()).hasSize(20).endsWith(20L);
        }
    }

    private static String lines(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "{\"step\": " + i + ", \"loss\": " + (5.0 / i) + "}\n")
                .reduce("", String::concat);
    }
}
