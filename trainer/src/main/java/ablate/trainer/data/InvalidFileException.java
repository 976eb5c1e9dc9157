package ablate.trainer.data;

import java.io.IOException;

/**
 * A file a command reads that is not what it must be: damaged (a safetensors header that lies, a
 * checksum that does not match), foreign (not a results file) or inconsistent with its neighbours
 * (a manifest whose step is not its folder's). The message names the file and what is wrong.
 *
 * <p>Bad input like {@link DataException}, so the CLI exits with its bad-input code; checked, and an
 * {@link IOException}, because the readers that recover from unreadable files (a run that sets a
 * damaged checkpoint aside and resumes from the one before) treat it as any file they cannot read.
 */
public final class InvalidFileException extends IOException {

    public InvalidFileException(String message) {
        super(message);
    }

    public InvalidFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
