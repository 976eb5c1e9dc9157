package ablate.trainer.checkpoint;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writing a file failed. The JDK's own message for a full disk is the operating system's bare
 * "No space left on device", which names no file; this one says which file, so that the user knows
 * which disk to free, and that the disk being full (rather than a bug) is the reason.
 */
public final class WriteFailedException extends IOException {

    private final Path file;
    private final boolean diskFull;

    private WriteFailedException(Path file, boolean diskFull, String message, IOException cause) {
        super(message, cause);
        this.file = file;
        this.diskFull = diskFull;
    }

    /** The failure {@code cause} of writing {@code file}, with the file named; one already naming a file is kept. */
    public static WriteFailedException of(Path file, IOException cause) {
        if (cause instanceof WriteFailedException named) {
            return named;
        }
        String reason = cause instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : cause.getMessage();
        boolean full = reason != null && isDiskFull(reason);
        String message = full ? "no space left on device writing " + file : "cannot write " + file + ": " + reason;
        return new WriteFailedException(file, full, message, cause);
    }

    /** ENOSPC as Linux and macOS word it, and Windows' ERROR_DISK_FULL; the JDK gives no error code to test instead. */
    private static boolean isDiskFull(String reason) {
        String r = reason.toLowerCase(Locale.ROOT);
        return r.contains("no space left on device") || r.contains("not enough space on the disk");
    }

    public Path file() {
        return file;
    }

    /** True when the device was full (ENOSPC). */
    public boolean diskFull() {
        return diskFull;
    }
}
