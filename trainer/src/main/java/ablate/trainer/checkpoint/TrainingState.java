package ablate.trainer.checkpoint;

import ablate.trainer.data.InvalidFileException;
import ablate.trainer.optim.LossScale;
import ablate.trainer.parallel.FixedPointGrid;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Where a run stands after {@code step} optimizer steps: the data position, the random state, for
 * fp16 runs the loss scale, and the fixed-point grid the next step's gradients are summed on
 * (exact reduction; empty before the first step, or in fast mode). The next sample to read is
 * {@code consumedSamples} (samples are a function of seed and index only), and every random draw
 * (dropout, prefix split points) is seeded from (seed, step, global micro-batch or sample index),
 * so this record is the whole RNG state.
 */
public record TrainingState(long step, long consumedSamples, long tokens, long seed, LossScale lossScale, FixedPointGrid grid) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** No grid yet: the first step measures its gradients and fits one. */
    public static final FixedPointGrid NO_GRID = new FixedPointGrid(new int[0]);

    public static TrainingState start(long seed, LossScale lossScale) {
        return new TrainingState(0, 0, 0, seed, lossScale, NO_GRID);
    }

    /** AdamW's step count t: steps taken minus those skipped on an inf/NaN gradient. */
    public long optimizerSteps() {
        return step - lossScale.skippedSteps();
    }

    public byte[] toJson() throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", 1);
        n.put("step", step);
        n.put("consumed_samples", consumedSamples);
        n.put("tokens", tokens);
        ObjectNode rng = n.putObject("rng");
        rng.put("seed", seed);
        rng.put("scheme", "counter: dropout of step s, global micro-batch m from (seed, s, m); prefix split of sample i from (seed, i)");
        if (lossScale.enabled()) {
            ObjectNode scale = n.putObject("loss_scale");
            scale.put("scale", lossScale.scale());
            scale.put("clean_steps", lossScale.cleanSteps());
            scale.put("hysteresis_left", lossScale.hysteresisLeft());
            scale.put("skipped_steps", lossScale.skippedSteps());
        }
        if (grid.tensors() > 0) {
            var exponents = n.putArray("reduction_grid");
            for (int e : grid.exponents()) {
                exponents.add(e);
            }
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
    }

    public static TrainingState fromJson(byte[] bytes) throws IOException {
        JsonNode n = JSON.readTree(bytes);
        if (n == null || !n.has("step") || !n.has("consumed_samples") || !n.has("rng")) {
            throw new InvalidFileException("state.json lacks step, consumed_samples or rng");
        }
        JsonNode scale = n.get("loss_scale");
        LossScale lossScale = scale == null ? LossScale.OFF : new LossScale(true, scale.get("scale").asDouble(),
                scale.get("clean_steps").asInt(), scale.get("hysteresis_left").asInt(), scale.get("skipped_steps").asLong());
        JsonNode exponents = n.get("reduction_grid");
        FixedPointGrid grid = NO_GRID;
        if (exponents != null && exponents.isArray()) {
            int[] e = new int[exponents.size()];
            for (int i = 0; i < e.length; i++) {
                e[i] = exponents.get(i).asInt();
            }
            grid = new FixedPointGrid(e);
        }
        return new TrainingState(n.get("step").asLong(), n.get("consumed_samples").asLong(), n.get("tokens").asLong(),
                n.get("rng").get("seed").asLong(), lossScale, grid);
    }
}
