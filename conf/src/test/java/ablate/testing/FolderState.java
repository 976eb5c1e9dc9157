package ablate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Every regular file under some folders (or single files) and the SHA-256 of its bytes, taken before
 * a hostile case, to prove afterwards that a refused command lost, damaged or left behind nothing:
 * the same files with the same bytes, or differences only where the case documents them.
 */
public final class FolderState {
    private final List<Path> roots;
    private final Map<Path, String> sums;

    private FolderState(List<Path> roots, Map<Path, String> sums) {
        this.roots = roots;
        this.sums = sums;
    }

    /** The files under {@code roots} now (a root that does not exist holds none). */
    public static FolderState of(Path... roots) {
        return new FolderState(List.of(roots), read(List.of(roots)));
    }

    /** The number of files recorded, so a test can show it snapshotted something. */
    public int files() {
        return sums.size();
    }

    /** Fails naming every file added, removed or changed since the snapshot. */
    public void assertUnchanged() {
        assertUnchangedExcept(path -> false);
    }

    /** Like {@link #assertUnchanged()}, but a path {@code documented} accepts may have been added, removed or changed. */
    public void assertUnchangedExcept(Predicate<Path> documented) {
        Map<Path, String> now = read(roots);
        List<String> differences = new ArrayList<>();
        for (var before : sums.entrySet()) {
            String after = now.get(before.getKey());
            if (documented.test(before.getKey())) {
                continue;
            }
            if (after == null) {
                differences.add("removed " + before.getKey());
            } else if (!after.equals(before.getValue())) {
                differences.add("changed " + before.getKey());
            }
        }
        for (Path added : now.keySet()) {
            if (!sums.containsKey(added) && !documented.test(added)) {
                differences.add("added " + added);
            }
        }
        assertThat(differences).as("files under %s after the case", roots).isEmpty();
    }

    private static Map<Path, String> read(List<Path> roots) {
        Map<Path, String> sums = new TreeMap<>();
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.filter(Files::isRegularFile).toList()) {
                    sums.put(p, sha256(p));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sums;
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
