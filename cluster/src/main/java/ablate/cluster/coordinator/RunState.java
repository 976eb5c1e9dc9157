package ablate.cluster.coordinator;

/** Where a run stands, as `ablate status` prints it. */
public enum RunState {
    /** Waiting for free trainers (new, resumed, or placed again after its group broke). */
    QUEUED,
    /** Placed on a group of trainers. */
    RUNNING,
    /** Stopped at a committed checkpoint by `ablate pause`; `ablate resume` queues it again. */
    PAUSED,
    /** Trained every step; its last checkpoint is committed. */
    FINISHED,
    /** Stopped by an error of the run itself, or after max-restarts broken groups. */
    FAILED,
    /** Stopped by `ablate cancel`; its committed checkpoints stay. */
    CANCELLED;

    /** Whether nothing more will happen to the run unless someone resumes it. */
    public boolean ended() {
        return this == FINISHED || this == FAILED || this == CANCELLED;
    }
}
