package ablate.conf;

/**
 * How a run is placed on the cluster (the {@code cluster} block of a run's config; ignored by a
 * local {@code ablate train}).
 *
 * @param dataParallel trainers the run uses; 0 = auto: every free trainer, up to the step's
 *     micro-batch count (each trainer computes a share of a step's micro-batches, so there cannot be
 *     more trainers than micro-batches)
 */
public record ClusterConfig(int dataParallel) {
    public ClusterConfig {
        if (dataParallel < 0) {
            throw SettingsException.of("cluster.data-parallel", "must be a positive number of trainers or auto, got " + dataParallel);
        }
    }

    ClusterConfig(int dataParallel, int microBatches) {
        this(dataParallel);
        if (dataParallel > microBatches) {
            throw SettingsException.of("cluster.data-parallel", dataParallel + " trainers for a step of " + microBatches
                    + " micro-batches (train.global-batch-size / train.micro-batch-size): each trainer needs at least one;"
                    + " lower it or the micro-batch size");
        }
    }

    /** Whether the run takes every free trainer (up to its micro-batch count). */
    public boolean auto() {
        return dataParallel == 0;
    }
}
