package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.trainer.cli.TrainCommand;
import ablate.trainer.tensorboard.EventReader;
import ablate.trainer.tensorboard.TensorBoardLog;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * RUN_DIR/tb mirrors metrics.jsonl, as an independent reader (ops/tensorboard/read-events.js, in
 * Node.js) decodes it: every figure of every line at its step with float precision, nothing else,
 * and after a resume exactly the lines metrics.jsonl holds, each once, in one training file.
 */
class MetricsLogTensorBoardTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** metrics.jsonl key -> tag, as TensorBoardLog's Javadoc documents them. */
    private static final Map<String, String> TAGS = Map.of("loss", "train/loss", "lr", "train/lr", "grad_norm", "train/grad_norm",
            "tokens_per_s", "train/tokens_per_s", "mfu", "train/mfu", "loss_scale", "train/loss_scale", "val_loss", "val/loss");
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochSecond(1_700_000_000L, 250_000_000));

    @TempDir
    Path run;

    @BeforeEach
    void needsNode() {
        EventReader.assumeNode();
    }

    @Test
    void theEventFileHoldsEveryFigureOfMetricsJsonlAtItsStep() throws Exception {
        try (MetricsLog log = MetricsLog.open(run, List.of(), CLOCK)) {
            appendSteps(log, 1, 6, 0);
        }
        EventReader.Output out = EventReader.read(TensorBoardLog.folder(run));
        assertThat(out.exit()).as(out.errors()).isZero();
        assertThat(out.records().getFirst().path("file_version").asText()).isEqualTo("brain.Event:2");
        assertThat(out.records()).allSatisfy(r -> assertThat(r.path("wall_time").asDouble()).isEqualTo(1_700_000_000.25));
        assertMirrorsMetrics(out);
        Map<String, Double> step3 = scalarsAt(out, 3);
        assertThat(step3).as("a NaN gradient norm is left out").doesNotContainKey("train/grad_norm");
        assertThat(scalarsAt(out, 1)).as("a NaN MFU is left out").doesNotContainKey("train/mfu");
        assertThat(scalarsAt(out, 4)).containsKeys("val/loss", "train/loss_scale");
    }

    @Test
    void reopeningWithACheckpointsLinesReplacesTheTrainingFileAndKeepsEvaluations() throws Exception {
        List<String> atCheckpoint;
        try (MetricsLog log = MetricsLog.open(run, List.of(), CLOCK)) {
            appendSteps(log, 1, 6, 0);
            atCheckpoint = log.lines().subList(0, 3);
        }
        Path evaluation = Files.createDirectories(TensorBoardLog.folder(run).resolve("eval"))
                .resolve("events.out.tfevents.1700000000.host.eval-step-3");
        Files.write(evaluation, new byte[] {1, 2, 3});
        try (MetricsLog log = MetricsLog.open(run, atCheckpoint, CLOCK)) {
            appendSteps(log, 4, 5, 0.5); // recomputed after the checkpoint, and this time it stops at 5
        }
        EventReader.Output out = EventReader.read(TensorBoardLog.folder(run));
        assertThat(out.exit()).as(out.errors()).isZero();
        assertThat(Files.readAllLines(run.resolve(MetricsLog.FILE))).hasSize(5);
        assertMirrorsMetrics(out);
        assertThat(trainingFiles()).hasSize(1);
        assertThat(evaluation).as("another writer's file").exists();
    }

    @Test
    void oneChangedByteIsReportedAsABadCrc() throws Exception {
        try (MetricsLog log = MetricsLog.open(run, List.of(), CLOCK)) {
            appendSteps(log, 1, 4, 0);
        }
        Path file = trainingFiles().getFirst();
        byte[] good = Files.readAllBytes(file);
        assertThat(EventReader.read(file).exit()).isZero();

        int firstRecord = 8 + 4 + (int) java.nio.ByteBuffer.wrap(good, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong() + 4;
        byte[] data = good.clone();
        data[firstRecord + 12 + 5] ^= 0x01; // in the second record's Event proto
        Files.write(file, data);
        EventReader.Output bad = EventReader.read(file);
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.errors()).contains("bad data crc");
        assertThat(bad.scalars()).as("nothing is read from the damaged record on").isEmpty();

        byte[] length = good.clone();
        length[firstRecord] ^= 0x01; // the second record's length
        Files.write(file, length);
        assertThat(EventReader.read(file).errors()).contains("bad length crc");
    }

    @Test
    void theReadersOwnCrc32cGivesTheStandardCheckValue() throws Exception {
        EventReader.Output out = EventReader.read(Path.of("--self-test"));
        assertThat(out.exit()).as(out.errors()).isZero();
        assertThat(out.records().getFirst().path("crc32c_123456789").asText()).isEqualTo("0xe3069283");
    }

    /** The same, through `ablate train`: a debug run, its newest checkpoint removed, resumed from the one before. */
    @Test
    void aResumedTrainingRunMirrorsItsMetricsInTensorBoard() throws Exception {
        Path dir = run.resolve("debug");
        assertThat(train("--preset", "debug", "--set", "train.threads=1", "--set", "train.steps=6", "--set", "checkpoint.interval=3",
                "--set", "train.eval-interval=2", "--set", "train.eval-sequences=16", "--run-dir", dir.toString())).isZero();
        Path newest = new RunDirectory(dir).checkpoint(6);
        try (Stream<Path> files = Files.walk(newest)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        assertThat(train("--run-dir", dir.toString())).isZero();

        EventReader.Output out = EventReader.read(TensorBoardLog.folder(dir));
        assertThat(out.exit()).as(out.errors()).isZero();
        assertThat(Files.readAllLines(dir.resolve(MetricsLog.FILE))).hasSize(6);
        assertMirrorsMetrics(out, dir);
        assertThat(scalarsAt(out, 2)).containsKey("val/loss");
        try (Stream<Path> s = Files.list(TensorBoardLog.folder(dir))) {
            assertThat(s.filter(p -> p.toString().endsWith(".train")).count()).isEqualTo(1);
        }
    }

    private static int train(String... args) {
        return new CommandLine(new TrainCommand()).execute(args);
    }

    /** Steps {@code from..to}: NaN MFU at 1, NaN gradient norm at 3, validation every 2 steps, fp16 scaling from 4. */
    private static void appendSteps(MetricsLog log, int from, int to, double shift) {
        for (int s = from; s <= to; s++) {
            StepMetrics.Scaling scaling = new StepMetrics.Scaling(s >= 4, 65536.0 / s, s == 5);
            StepMetrics m = new StepMetrics(s, 5.5 - Math.PI / 10 * s + shift, 3e-3 * Math.sqrt(s), s == 3 ? Double.NaN : 1.0 / 3 + s,
                    1024L * s, 16L * s, 0.25, scaling, List.of(), 0.2);
            log.append(m, 12345.678 * s, 1.1e9 * s, s == 1 ? Double.NaN : 0.01 * s / 7, s % 2 == 0 ? 4.0 - Math.E / s : Double.NaN);
        }
    }

    private void assertMirrorsMetrics(EventReader.Output out) throws Exception {
        assertMirrorsMetrics(out, run);
    }

    /** Every (step, tag) the reader found is a finite figure of metrics.jsonl, as a float, found once; and every such figure is there. */
    private static void assertMirrorsMetrics(EventReader.Output out, Path runDir) throws Exception {
        Map<String, Double> expected = new TreeMap<>();
        for (String line : Files.readAllLines(runDir.resolve(MetricsLog.FILE))) {
            JsonNode n = JSON.readTree(line);
            TAGS.forEach((key, tag) -> {
                JsonNode v = n.get(key);
                if (v != null && v.isNumber() && Double.isFinite(v.doubleValue())) {
                    expected.put(n.get("step").asLong() + " " + tag, (double) (float) v.doubleValue());
                }
            });
        }
        Map<String, Double> found = new TreeMap<>();
        List<String> repeated = new ArrayList<>();
        for (JsonNode r : out.scalars()) {
            String key = r.get("step").asLong() + " " + r.get("tag").asText();
            if (found.put(key, r.get("value").doubleValue()) != null) {
                repeated.add(key);
            }
        }
        assertThat(expected).as("figures in metrics.jsonl").isNotEmpty();
        assertThat(repeated).as("scalars written twice").isEmpty();
        assertThat(found).isEqualTo(expected);
    }

    private static Map<String, Double> scalarsAt(EventReader.Output out, long step) {
        Map<String, Double> at = new TreeMap<>();
        out.scalars().stream().filter(r -> r.get("step").asLong() == step).forEach(r -> at.put(r.get("tag").asText(), r.get("value").doubleValue()));
        return at;
    }

    private List<Path> trainingFiles() throws Exception {
        try (Stream<Path> s = Files.list(TensorBoardLog.folder(run))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".train")).toList();
        }
    }
}
