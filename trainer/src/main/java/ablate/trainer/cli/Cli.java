package ablate.trainer.cli;

import ablate.conf.SettingsException;
import ablate.trainer.data.DataException;
import ablate.trainer.data.InvalidFileException;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a command body and turns the errors users cause into one clear line and an exit code. */
public final class Cli {
    private static final Logger log = LoggerFactory.getLogger(Cli.class);
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;

    private Cli() {}

    public interface Body {
        int run() throws Exception;
    }

    public static int guard(Body body) {
        try {
            return body.run();
        } catch (SettingsException | DataException | InvalidFileException | IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return BAD_INPUT;
        } catch (IOException | UncheckedIOException | ablate.trainer.run.RunFailed e) {
            System.err.println("error: " + e.getMessage());
            return FAILED;
        } catch (Exception e) {
            System.err.println("error: " + unexpected(e));
            return FAILED;
        }
    }

    /**
     * A failure that is not the user's (a bug): one line saying so and where its full trace was
     * written, never the trace on the terminal unless ABLATE_DEBUG=1 asks for it.
     */
    public static String unexpected(Throwable e) {
        if ("1".equals(System.getenv("ABLATE_DEBUG"))) {
            log.error("unexpected failure", e);
        }
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("ablate-error-", ".log");
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(trace));
            java.nio.file.Files.writeString(file, trace.toString());
            return "unexpected failure (a bug, not your input): " + e + "; the full trace is in " + file
                    + " (ABLATE_DEBUG=1 prints it); please report it";
        } catch (IOException | RuntimeException writeFailed) {
            return "unexpected failure (a bug, not your input): " + e + " (its trace could not be written: " + writeFailed + ")";
        }
    }
}
