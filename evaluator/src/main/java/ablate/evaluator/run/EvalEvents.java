package ablate.evaluator.run;

import ablate.trainer.tensorboard.EventFile;
import ablate.trainer.tensorboard.EventFolder;
import ablate.trainer.tensorboard.Scalar;
import ablate.trainer.tensorboard.TensorBoardLog;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The zero-shot results of a run's checkpoint as TensorBoard scalars, to read beside the run's
 * training charts: {@code RUN_DIR/tb/eval/events.out.tfevents.<seconds>.<host>.eval-step-N} holds,
 * at step N, one scalar {@code eval/<task>/<metric>} for every finite number of the results file's
 * {@code results} block: each metric as stored there ({@code acc}, {@code acc_norm}, {@code ppl},
 * ...) and its standard error as {@code eval/<task>/<metric>_stderr}, the key the harness layout
 * already gives it. Scoring the checkpoint again replaces its file; since the results file keeps
 * the tasks not scored again, so does the new event file.
 *
 * <p>The files sit in {@code tb/eval/}, not beside the training file in {@code tb/}: TensorBoard
 * reads one folder's files in name order and stops polling a file once a later-named one appears,
 * so an evaluation written while the run trains would freeze its training charts. In a subfolder
 * they are another TensorBoard run ("eval") and both stay live.
 */
public final class EvalEvents {
    /** The subfolder of RUN_DIR/tb that holds the evaluations' event files. */
    public static final String FOLDER = "eval";

    private EvalEvents() {}

    /** RUN_DIR/tb/eval. */
    public static Path folder(Path runDir) {
        return TensorBoardLog.folder(runDir).resolve(FOLDER);
    }

    /** Writes the event file of checkpoint {@code step} of the run at {@code runDir} from a results file's JSON. */
    public static void write(Path runDir, long step, JsonNode resultsJson, InstantSource clock) throws IOException {
        Instant now = clock.instant();
        try (EventFile file = new EventFolder(folder(runDir)).replace("eval-step-" + step, clock)) {
            List<Scalar> scalars = scalars(resultsJson);
            if (!scalars.isEmpty()) {
                file.write(step, EventFolder.wallTime(now), scalars);
            }
        }
    }

    /** {@code eval/<task>/<key>} for every finite number under {@code results}, in the file's order. */
    static List<Scalar> scalars(JsonNode resultsJson) {
        List<Scalar> scalars = new ArrayList<>();
        resultsJson.path("results").properties().forEach(task -> task.getValue().properties().forEach(metric -> {
            JsonNode v = metric.getValue();
            if (v.isNumber() && Double.isFinite(v.doubleValue())) {
                scalars.add(new Scalar("eval/" + task.getKey() + "/" + metric.getKey(), (float) v.doubleValue()));
            }
        }));
        return scalars;
    }
}
