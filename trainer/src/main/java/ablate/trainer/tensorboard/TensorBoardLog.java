package ablate.trainer.tensorboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TensorBoard copy of a run's metrics.jsonl, for {@code tensorboard --logdir RUN_DIR/tb}: one
 * file {@code RUN_DIR/tb/events.out.tfevents.<seconds>.<host>.train} holding, at each logged step,
 * the step's figures as scalars:
 * <table>
 * <caption>metrics.jsonl key and TensorBoard tag</caption>
 * <tr><td>{@code loss}</td><td>{@code train/loss}</td></tr>
 * <tr><td>{@code lr}</td><td>{@code train/lr}</td></tr>
 * <tr><td>{@code grad_norm}</td><td>{@code train/grad_norm}</td></tr>
 * <tr><td>{@code tokens_per_s}</td><td>{@code train/tokens_per_s}</td></tr>
 * <tr><td>{@code mfu}</td><td>{@code train/mfu}</td></tr>
 * <tr><td>{@code loss_scale}</td><td>{@code train/loss_scale} (fp16 only)</td></tr>
 * <tr><td>{@code val_loss}</td><td>{@code val/loss} (the steps it was measured at)</td></tr>
 * </table>
 * A value that is missing, null or not finite (a NaN gradient norm) is left out of its step. Each
 * event's wall time is when it was written: metrics.jsonl holds no time of day, so the lines
 * written again on resume all carry the time of the resume.
 *
 * <p>It mirrors metrics.jsonl rather than growing on its own: a run that resumes resets
 * metrics.jsonl to its checkpoint's lines, so {@link #open} writes a new file holding exactly those
 * lines and deletes the run's earlier training files, whose steps after the checkpoint are about
 * to be computed again (TensorBoard would show them twice). Other writers' files in the folder
 * (zero-shot results, under {@code tb/eval/}) stay.
 */
public final class TensorBoardLog implements AutoCloseable {
    /** The run's TensorBoard folder, under the run folder. */
    public static final String FOLDER = "tb";
    static final String SUFFIX = "train";
    private static final Logger log = LoggerFactory.getLogger(TensorBoardLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> TAGS = tags();

    private final EventFile file;
    private final InstantSource clock;

    private TensorBoardLog(EventFile file, InstantSource clock) {
        this.file = file;
        this.clock = clock;
    }

    /** RUN_DIR/tb. */
    public static Path folder(Path runDir) {
        return runDir.resolve(FOLDER);
    }

    /**
     * Starts the run's training file anew with the scalars of {@code lines} (metrics.jsonl lines;
     * empty for a new run), replacing its earlier training files. A line that is not a JSON object
     * with an integral {@code step} is left out with a warning: it cannot be placed on a chart.
     */
    public static TensorBoardLog open(Path runDir, List<String> lines, InstantSource clock) throws IOException {
        EventFile file = new EventFolder(folder(runDir)).replace(SUFFIX, clock);
        TensorBoardLog tb = new TensorBoardLog(file, clock);
        try {
            for (String line : lines) {
                if (!line.isBlank()) {
                    tb.write(parse(line));
                }
            }
            file.flush();
        } catch (IOException e) {
            file.close();
            throw e;
        }
        return tb;
    }

    /** Appends one metrics.jsonl record and flushes it, so that a TensorBoard watching the run shows the step. */
    public void append(JsonNode record) throws IOException {
        write(record);
        file.flush();
    }

    /** The scalars of one metrics.jsonl record, in the order of the class's table. */
    static List<Scalar> scalars(JsonNode record) {
        List<Scalar> scalars = new ArrayList<>();
        TAGS.forEach((key, tag) -> {
            JsonNode v = record.get(key);
            if (v != null && v.isNumber() && Double.isFinite(v.doubleValue())) {
                scalars.add(new Scalar(tag, (float) v.doubleValue()));
            }
        });
        return scalars;
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            log.warn("a metrics line that is not JSON is left out of TensorBoard's copy: {}", line);
            return JSON.missingNode();
        }
    }

    private void write(JsonNode record) throws IOException {
        if (record.isMissingNode()) {
            return;
        }
        JsonNode step = record.get("step");
        if (step == null || !step.canConvertToExactIntegral()) {
            log.warn("a metrics line without an integral step is left out of {}: {}", file.path(), record);
            return;
        }
        List<Scalar> scalars = scalars(record);
        if (!scalars.isEmpty()) {
            file.write(step.longValue(), EventFolder.wallTime(clock.instant()), scalars);
        }
    }

    private static Map<String, String> tags() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("loss", "train/loss");
        tags.put("lr", "train/lr");
        tags.put("grad_norm", "train/grad_norm");
        tags.put("tokens_per_s", "train/tokens_per_s");
        tags.put("mfu", "train/mfu");
        tags.put("loss_scale", "train/loss_scale");
        tags.put("val_loss", "val/loss");
        return Collections.unmodifiableMap(tags);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
