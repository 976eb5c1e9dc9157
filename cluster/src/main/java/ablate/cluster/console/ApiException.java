package ablate.cluster.console;

import ablate.trainer.cli.Cli;

/**
 * A request that did not get what it asked for, with the message the user sees after "error: " and
 * the exit code: {@link Cli#BAD_INPUT} when the user named something wrong (a bad config, an
 * unknown run, a missing setting), {@link Cli#FAILED} otherwise.
 */
public final class ApiException extends Exception {
    private final int exitCode;
    private final boolean retryable;

    private ApiException(String message, int exitCode, boolean retryable) {
        super(message);
        this.exitCode = exitCode;
        this.retryable = retryable;
    }

    public static ApiException badInput(String message) {
        return new ApiException(message, Cli.BAD_INPUT, false);
    }

    public static ApiException failed(String message) {
        return new ApiException(message, Cli.FAILED, false);
    }

    /** A failure that may pass by itself: the coordinator is down for a moment or moving to another node. */
    public static ApiException unavailable(String message) {
        return new ApiException(message, Cli.FAILED, true);
    }

    public int exitCode() {
        return exitCode;
    }

    /** Whether asking again a little later may succeed ({@code logs -f} keeps polling through these). */
    public boolean retryable() {
        return retryable;
    }
}
