package ablate.trainer.data;

/**
 * Input data or prepared files that cannot be used as they are, e.g. a JSONL record without the
 * text field or a truncated {@code train.bin}.
 *
 * <p>Unchecked, because retrying cannot help: the message names the file (and line) to fix, and
 * the run should stop there rather than train on something other than what was asked for.
 */
public final class DataException extends RuntimeException {

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
