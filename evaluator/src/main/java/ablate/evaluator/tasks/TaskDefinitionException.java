package ablate.evaluator.tasks;

/**
 * A task definition file is invalid: the message names the file, line and key (from the
 * Typesafe Config origin) and, for unknown names, the closest known one.
 *
 * <p>An {@link IllegalArgumentException}, because it is the user's input that is wrong: the CLI
 * shows it as one line and exits with the bad-input code, not as a bug with a trace.
 */
public final class TaskDefinitionException extends IllegalArgumentException {
    public TaskDefinitionException(String message) {
        super(message);
    }

    public TaskDefinitionException(String message, Throwable cause) {
        super(message, cause);
    }
}
