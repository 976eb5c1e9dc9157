package ablate.cluster.evaluation;

import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.PlannedBatch;

/** One piece of an evaluation's planned work, numbered within the evaluation. */
sealed interface Unit {
    int id();

    record Batch(int id, PlannedBatch batch) implements Unit {}

    record Generation(int id, Request.Generate request) implements Unit {}
}
