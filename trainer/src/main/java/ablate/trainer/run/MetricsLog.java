package ablate.trainer.run;

import ablate.trainer.checkpoint.WriteFailedException;
import ablate.trainer.tensorboard.TensorBoardLog;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * RUN_DIR/metrics.jsonl: one JSON object per step, appended and flushed as the step ends. The
 * lines are also kept in memory so each checkpoint can hold the metrics so far; on resume the file
 * is reset to the checkpoint's lines (steps after it are recomputed identically). Each line is also
 * written to the run's TensorBoard folder ({@link TensorBoardLog}), which is reset with it; a line
 * always reaches metrics.jsonl before TensorBoard's copy, so a failure there never costs a line here.
 */
public final class MetricsLog implements AutoCloseable {
    public static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<String> lines;
    private final BufferedWriter out;
    private final TensorBoardLog tensorBoard;

    private MetricsLog(Path file, List<String> lines, BufferedWriter out, TensorBoardLog tensorBoard) {
        this.file = file;
        this.lines = new ArrayList<>(lines);
        this.out = out;
        this.tensorBoard = tensorBoard;
    }

    /** Opens the log of a run holding exactly {@code lines} (empty for a new run), and its TensorBoard copy. */
    public static MetricsLog open(Path runDir, List<String> lines) throws IOException {
        return open(runDir, lines, InstantSource.system());
    }

    /** As {@link #open(Path, List)}, with the clock that stamps the TensorBoard events. */
    public static MetricsLog open(Path runDir, List<String> lines, InstantSource clock) throws IOException {
        Path file = runDir.resolve(FILE);
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try {
            Files.write(tmp, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw WriteFailedException.of(tmp, e);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try {
            return new MetricsLog(file, lines, out, TensorBoardLog.open(runDir, lines, clock));
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Appends one step's record. {@code valLoss} is NaN when not measured at this step. */
    public void append(StepMetrics m, double tokensPerSecond, double flopsPerSecond, double mfu, double valLoss) {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", m.step());
        n.put("loss", m.loss());
        n.put("lr", m.lr());
        if (Double.isFinite(m.gradNorm())) {
            n.put("grad_norm", m.gradNorm());
        } else {
            n.putNull("grad_norm");
        }
        n.put("tokens", m.tokens());
        n.put("consumed_samples", m.consumedSamples());
        n.put("tokens_per_s", round(tokensPerSecond));
        n.put("flops_per_s", round(flopsPerSecond));
        n.put("mfu", mfu);
        n.put("step_s", m.seconds());
        if (m.scaling().enabled()) {
            n.put("loss_scale", m.scaling().scale());
            n.put("skipped", m.scaling().skipped());
        }
        if (!Double.isNaN(valLoss)) {
            n.put("val_loss", valLoss);
        }
        try {
            String line = JSON.writeValueAsString(n);
            lines.add(line);
            out.write(line);
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(WriteFailedException.of(file, e).getMessage(), e);
        }
        try {
            tensorBoard.append(n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append step " + m.step() + " to " + TensorBoardLog.FOLDER + "/ (" + FILE
                    + " has it)", e);
        }
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The last logged loss and the last measured validation loss of metrics lines (NaN where there is none). */
    public record Last(double loss, double valLoss) {
        public static Last of(List<String> lines) throws IOException {
            double loss = Double.NaN;
            double val = Double.NaN;
            for (String line : lines) {
                if (!line.isBlank()) {
                    var n = JSON.readTree(line);
                    loss = n.path("loss").asDouble(Double.NaN);
                    val = n.has("val_loss") ? n.path("val_loss").asDouble(Double.NaN) : val;
                }
            }
            return new Last(loss, val);
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            tensorBoard.close();
        }
    }
}
