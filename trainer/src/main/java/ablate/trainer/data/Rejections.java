package ablate.trainer.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Input lines that were left out, by reason, with the first few as {@code file:line: reason}
 * samples so the user can go and look.
 */
public record Rejections(Map<String, Long> counts, List<String> samples) {

    /** How many samples are kept: enough to spot a pattern, few enough to read. */
    public static final int MAX_SAMPLES = 10;

    public Rejections {
        counts = Map.copyOf(counts);
        samples = List.copyOf(samples);
    }

    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Counts in reason order, so summaries read the same every time. */
    public Map<String, Long> sortedCounts() {
        return new TreeMap<>(counts);
    }

    /** Collects rejections while reading; single-threaded, like the reading itself. */
    static final class Log {
        private final Map<String, Long> counts = new TreeMap<>();
        private final List<String> samples = new ArrayList<>();

        void reject(String location, String reason, String detail) {
            counts.merge(reason, 1L, Long::sum);
            if (samples.size() < MAX_SAMPLES) {
                samples.add(location + ": " + reason + (detail.isEmpty() ? "" : " (" + detail + ")"));
            }
        }

        Rejections toRecord() {
            return new Rejections(counts, samples);
        }
    }
}
