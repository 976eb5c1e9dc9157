package ablate.trainer.run;

/**
 * The run itself cannot go on (its loss or gradient is no longer finite): not bad input and not a
 * bug. The command says why in one line and exits 1; the last checkpoint is intact.
 */
public final class RunFailed extends IllegalStateException {
    public RunFailed(String message) {
        super(message);
    }
}
