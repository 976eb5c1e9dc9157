package ablate.trainer.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Where a run stands after {@code step} optimizer steps: the data position and the random state.
 * The next sample to read is {@code consumedSamples} (samples are a function of seed and index
 * only), and every random draw (dropout, prefix split points) is seeded from (seed, step, index),
 * so this record is the whole RNG state.
 */
public record TrainingState(long step, long consumedSamples, long tokens, long seed) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static TrainingState start(long seed) {
        return new TrainingState(0, 0, 0, seed);
    }

    public byte[] toJson() throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", 1);
        n.put("step", step);
        n.put("consumed_samples", consumedSamples);
        n.put("tokens", tokens);
        ObjectNode rng = n.putObject("rng");
        rng.put("seed", seed);
        rng.put("scheme", "counter: draws of step s, micro-batch m, sample i are seeded from (seed, s, m, i)");
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
    }

    public static TrainingState fromJson(byte[] bytes) throws IOException {
        JsonNode n = JSON.readTree(bytes);
        if (n == null || !n.has("step") || !n.has("consumed_samples") || !n.has("rng")) {
            throw new IOException("state.json lacks step, consumed_samples or rng");
        }
        return new TrainingState(n.get("step").asLong(), n.get("consumed_samples").asLong(), n.get("tokens").asLong(),
                n.get("rng").get("seed").asLong());
    }
}
