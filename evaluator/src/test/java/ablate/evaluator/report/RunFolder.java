package ablate.evaluator.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A fake run folder as `ablate train` leaves one, without training: config.conf (the debug model plus
 * the given settings, resolved by the report as a real one is) and metrics.jsonl with one line per
 * step at the given rates.
 */
record RunFolder(Path dir) {
    static final String DEBUG = "model { layers = 2, d-model = 64, heads = 4, seq-len = 64, vocab-size = 257 }\n"
            + "train { global-batch-size = 16, micro-batch-size = 8, steps = 200 }\n";

    static RunFolder write(Path dir, String settings, List<Double> tokensPerSecond) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.conf"), DEBUG + settings + "\n");
        StringBuilder metrics = new StringBuilder();
        for (int i = 0; i < tokensPerSecond.size(); i++) {
            metrics.append(String.format(Locale.ROOT, "{\"step\": %d, \"loss\": %.3f, \"tokens\": %d, \"tokens_per_s\": %.1f, "
                    + "\"mfu\": 0.01, \"step_s\": %.4f}%n", i + 1, 5.0 - 0.01 * i, 1024L * (i + 1), tokensPerSecond.get(i),
                    1024 / tokensPerSecond.get(i)));
        }
        Files.writeString(dir.resolve("metrics.jsonl"), metrics.toString());
        return new RunFolder(dir);
    }

    static RunFolder write(Path dir, String settings) throws IOException {
        return write(dir, settings, List.of(1000.0, 1000.0, 1000.0));
    }
}
