package ablate.trainer.tensorboard;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A folder of TensorBoard event files, named as TensorFlow names them so that TensorBoard finds
 * them: {@code events.out.tfevents.<unix seconds>.<host>.<suffix>}. Each writer owns one suffix
 * ({@code train}, {@code eval-step-N}) and keeps exactly one file of it, replacing the earlier one
 * when it starts again; files of other suffixes are left alone.
 *
 * <p>A new file is always named after every file already in the folder (its seconds are at least
 * one more than the newest there): TensorBoard reads a folder's files in name order and, once it
 * has moved to a later file, never looks at an earlier one again, so a new file named before an
 * old one would go unread until TensorBoard restarts.
 */
public record EventFolder(Path dir) {
    static final String PREFIX = "events.out.tfevents.";
    private static final Pattern SUFFIX = Pattern.compile("[A-Za-z0-9_-]+");
    private static final String HOST = host();

    /**
     * Creates the file of {@code suffix} with its file-version record, then deletes the earlier
     * files of that suffix. {@code clock} gives the name's seconds and the records' wall time.
     */
    public EventFile replace(String suffix, InstantSource clock) throws IOException {
        if (!SUFFIX.matcher(suffix).matches()) {
            throw new IllegalArgumentException("an event file suffix is letters, digits, '-' and '_', not '" + suffix + "'");
        }
        Files.createDirectories(dir);
        List<Path> files = eventFiles();
        Instant now = clock.instant();
        long seconds = now.getEpochSecond();
        for (Path p : files) {
            seconds = Math.max(seconds, secondsOf(p) + 1);
        }
        Path path = dir.resolve(PREFIX + seconds + "." + HOST + "." + suffix);
        EventFile file = EventFile.create(path, wallTime(now));
        try {
            for (Path p : files) {
                if (p.getFileName().toString().endsWith("." + suffix)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            file.close();
            throw e;
        }
        return file;
    }

    /** The event files of the folder, in name order (none when it does not exist). */
    public List<Path> eventFiles() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isRegularFile(p)).sorted().toList();
        }
    }

    /** Seconds since the epoch, with the fraction TensorBoard's relative time axis uses. */
    public static double wallTime(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }

    private static long secondsOf(Path file) {
        String rest = file.getFileName().toString().substring(PREFIX.length());
        int dot = rest.indexOf('.');
        try {
            return Long.parseLong(dot < 0 ? rest : rest.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0; // not named by a writer we know; it cannot be ordered against
        }
    }

    /** This machine's name as it goes into file names (TensorFlow's writer uses the host name too). */
    private static String host() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "localhost" : safe;
    }
}
