package ablate.evaluator.report;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One column of a report: a training run of ablate, or published results read from
 * lm-evaluation-harness or BigScience files.
 *
 * @param axes the ablation choices from the run's config.conf (position, activation, ...); empty for published results
 * @param evaluations zero-shot results in order of tokens seen
 * @param train (tokens, training loss) per step; empty for published results
 * @param validation (tokens, validation loss) where measured
 * @param speed tokens/s over the logged steps after the warm-up, with its spread; {@link Speed#UNKNOWN} for published results
 * @param mfu median model FLOPs utilization over the same steps; NaN when unknown
 * @param nonEmbedding non-embedding parameters; 0 when unknown
 * @param device where a run trained (train.device), empty for published results
 */
public record Variant(String name, String source, Map<String, String> axes, List<CheckpointScores> evaluations,
                      List<double[]> train, List<double[]> validation, Speed speed, double mfu,
                      long nonEmbedding, String device) {
    public Variant {
        axes = Map.copyOf(axes);
        evaluations = evaluations.stream().sorted(Comparator.comparingDouble(CheckpointScores::tokens)).toList();
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /** The evaluation with the most tokens seen, which the table reports. */
    public CheckpointScores last() {
        return evaluations.getLast();
    }

    /** The median tokens/s (NaN when unknown). */
    public double tokensPerSecond() {
        return speed.median();
    }

    public boolean evaluated() {
        return !evaluations.isEmpty();
    }

    public double finalValidationLoss() {
        return validation.isEmpty() ? Double.NaN : validation.getLast()[1];
    }
}
