package ablate.trainer.checkpoint;

import ablate.trainer.data.InvalidFileException;
import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One committed checkpoint folder, {@code step-NNNNNNNN}, holding:
 * <ul>
 *   <li>{@code model.safetensors}: every weight, fp32, by name (for fp16 runs the fp32 master
 *       weights, of which the model's fp16 weights are the rounding);
 *   <li>{@code optimizer.safetensors}: AdamW's first and second moments ({@code NAME.exp_avg},
 *       {@code NAME.exp_avg_sq}); the step count t is the step in state.json;
 *   <li>{@code state.json}: step, consumed samples (the data position), tokens, the seed from
 *       which all random draws are derived (the RNG state) and, for fp16 runs, the loss scale
 *       with its counters ({@code loss_scale}: scale, clean steps, hysteresis left, skipped steps);
 *   <li>{@code config.conf}: the run's resolved config;
 *   <li>{@code metrics.jsonl}: the metrics of every step up to this one;
 *   <li>{@code manifest.json}: SHA-256 and size of each of the above, written last.
 * </ul>
 */
public record Checkpoint(Path dir, long step) {
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "state.json";
    public static final String CONFIG = "config.conf";
    public static final String METRICS = "metrics.jsonl";

    /** What a checkpoint is made from. */
    public record Contents(
            Map<String, NDArray> model, Map<String, NDArray> optimizer, TrainingState state, String config, List<String> metrics) {}

    /**
     * Checks the manifest, every file's checksum and the two safetensors headers (cheap, and a
     * header that does not parse would otherwise fail the load after the checkpoint was chosen,
     * instead of sending a resuming run to the previous one).
     */
    public void verify() throws IOException {
        Manifest manifest = Manifest.read(dir);
        Path manifestFile = dir.resolve(Manifest.FILE);
        if (manifest.step() != step) {
            throw new InvalidFileException(manifestFile + " says step " + manifest.step() + " in the folder of step " + step);
        }
        for (String required : List.of(MODEL, OPTIMIZER, STATE, CONFIG, METRICS)) {
            if (!manifest.files().containsKey(required)) {
                throw new InvalidFileException(manifestFile + " does not list " + required);
            }
        }
        manifest.verify(dir);
        Safetensors.entries(dir.resolve(MODEL));
        Safetensors.entries(dir.resolve(OPTIMIZER));
        long stateStep = state().step();
        if (stateStep != step) {
            throw new InvalidFileException(STATE + " says step " + stateStep + " in the folder of step " + step);
        }
    }

    public TrainingState state() throws IOException {
        return TrainingState.fromJson(Files.readAllBytes(dir.resolve(STATE)));
    }

    public String config() throws IOException {
        return Files.readString(dir.resolve(CONFIG), StandardCharsets.UTF_8);
    }

    public List<String> metrics() throws IOException {
        return Files.readAllLines(dir.resolve(METRICS), StandardCharsets.UTF_8);
    }

    public void loadModel(Map<String, NDArray> weights) throws IOException {
        Safetensors.readInto(dir.resolve(MODEL), weights);
    }

    public void loadOptimizer(Map<String, NDArray> moments) throws IOException {
        Safetensors.readInto(dir.resolve(OPTIMIZER), moments);
    }
}
