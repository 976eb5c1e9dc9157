package ablate.trainer.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's {@code checkpoints/} folder. A checkpoint is written into {@code .tmp-step-N}, each file
 * fsynced, the manifest last, then renamed to {@code step-N} and the folder fsynced: a folder
 * named {@code step-N} is complete unless its bytes were damaged later, which the manifest's
 * checksums reveal. Only the newest {@code keep} checkpoints are kept. See {@link Checkpoint} for
 * what each holds.
 */
public final class Checkpoints {
    private static final Logger log = LoggerFactory.getLogger(Checkpoints.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    /**
     * Fault injection for chaos tests ({@code ops/chaos}, the cluster's fault tests): milliseconds
     * to stall after the model file of a checkpoint is written, so that a kill lands in the middle
     * of a write. Unset (the default) stalls nothing.
     */
    public static final String STALL_ENV = "ABLATE_CHAOS_CHECKPOINT_STALL_MS";
    private static final long STALL_MS = stallMillis(System.getenv(STALL_ENV));

    private final Path dir;
    private final int keep;

    public Checkpoints(Path dir, int keep) {
        this.dir = dir;
        this.keep = keep;
    }

    public Path dir() {
        return dir;
    }

    private static long stallMillis(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(STALL_ENV + " must be a number of milliseconds, not '" + value + "'", e);
        }
    }

    private static void stall(Path tmp) throws IOException {
        if (STALL_MS > 0) {
            log.warn("{}: stalling {} ms in the middle of writing {}", STALL_ENV, STALL_MS, tmp);
            try {
                Thread.sleep(STALL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while stalling a checkpoint write");
            }
        }
    }

    /** Writes and commits a checkpoint, then deletes all but the newest {@code keep}. */
    public Checkpoint save(Checkpoint.Contents contents) throws IOException {
        Checkpoint saved = write(contents);
        prune();
        return saved;
    }

    /**
     * Writes a checkpoint durably (each file fsynced, the manifest last, an atomic rename) and
     * prunes nothing: on a cluster the coordinator commits it in its journal first, and only then
     * are older ones pruned ({@link #prune()}), so the last committed checkpoint always exists.
     */
    public Checkpoint write(Checkpoint.Contents contents) throws IOException {
        long step = contents.state().step();
        Files.createDirectories(dir);
        Path finalDir = dir.resolve(name(step));
        if (Files.exists(finalDir)) {
            throw new IOException(finalDir + " already exists");
        }
        Path tmp = dir.resolve(".tmp-" + name(step));
        deleteTree(tmp);
        Files.createDirectory(tmp);
        try {
            writeFiles(tmp, step, contents);
        } catch (IOException | RuntimeException e) {
            abandon(tmp, e);
            if (e instanceof IOException io) {
                throw new IOException(io.getMessage() + "; the checkpoint of step " + step + " was not written, "
                        + committed().stream().reduce((a, b) -> b).map(c -> c.dir().getFileName() + " is intact")
                                .orElse("and there is no earlier one"), io);
            }
            throw e;
        }
        Files.move(tmp, finalDir, StandardCopyOption.ATOMIC_MOVE);
        Durable.syncDirectory(dir);
        return new Checkpoint(finalDir, step);
    }

    private static void writeFiles(Path tmp, long step, Checkpoint.Contents contents) throws IOException {
        Map<String, Manifest.FileSum> sums = new LinkedHashMap<>();
        sums.put(Checkpoint.MODEL, sum(tmp, Checkpoint.MODEL,
                Safetensors.write(tmp.resolve(Checkpoint.MODEL), contents.model(), Map.of("format", "ablate"))));
        stall(tmp);
        sums.put(Checkpoint.OPTIMIZER, sum(tmp, Checkpoint.OPTIMIZER,
                Safetensors.write(tmp.resolve(Checkpoint.OPTIMIZER), contents.optimizer(), Map.of("format", "ablate"))));
        sums.put(Checkpoint.STATE, writeSmall(tmp, Checkpoint.STATE, contents.state().toJson()));
        sums.put(Checkpoint.CONFIG, writeSmall(tmp, Checkpoint.CONFIG, contents.config().getBytes(StandardCharsets.UTF_8)));
        String metrics = contents.metrics().isEmpty() ? "" : String.join("\n", contents.metrics()) + "\n";
        sums.put(Checkpoint.METRICS, writeSmall(tmp, Checkpoint.METRICS, metrics.getBytes(StandardCharsets.UTF_8)));
        new Manifest(step, sums).write(tmp);
        Durable.syncDirectory(tmp);
    }

    /**
     * Removes the unfinished folder of a write that failed, at once rather than at the next resume:
     * on a full disk its half-written files hold the space the next attempt needs.
     */
    private static void abandon(Path tmp, Exception failure) {
        try {
            deleteTree(tmp);
        } catch (IOException e) {
            failure.addSuppressed(e);
            log.warn("could not remove the unfinished checkpoint {}: {}", tmp, e.getMessage());
        }
    }

    /**
     * For a cluster run's writer, resuming from the coordinator's committed checkpoint: unfinished
     * {@code .tmp-*} folders are removed and checkpoints newer than {@code committedStep} (written
     * but never committed before the group stopped) are renamed {@code step-N.uncommitted}, kept
     * for inspection; the run recomputes those steps.
     */
    public void setAsideAfter(long committedStep) throws IOException {
        for (Path tmp : children(p -> p.getFileName().toString().startsWith(".tmp-"))) {
            log.warn("removing unfinished checkpoint {} (the group stopped while writing it)", tmp);
            deleteTree(tmp);
        }
        for (Checkpoint c : committed()) {
            if (c.step() > committedStep) {
                Path aside = c.dir().resolveSibling(c.dir().getFileName() + ".uncommitted");
                log.warn("checkpoint {} was written but never committed; moved to {}", c.dir(), aside);
                deleteTree(aside);
                Files.move(c.dir(), aside, StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    /**
     * For the run's writer only (a resuming run): the newest checkpoint that verifies. Newer ones
     * that do not are reported and renamed to {@code step-N.corrupt} (kept for inspection, never
     * deleted); unfinished {@code .tmp-*} folders are removed. Readers use {@link #latestCommitted}.
     */
    public Optional<Checkpoint> recover() throws IOException {
        for (Path tmp : children(p -> p.getFileName().toString().startsWith(".tmp-"))) {
            log.warn("removing unfinished checkpoint {} (the run stopped while writing it)", tmp);
            deleteTree(tmp);
        }
        for (Checkpoint c : committed().reversed()) {
            try {
                c.verify();
                return Optional.of(c);
            } catch (IOException e) {
                Path aside = c.dir().resolveSibling(c.dir().getFileName() + ".corrupt");
                for (int n = 2; Files.exists(aside); n++) {
                    aside = c.dir().resolveSibling(c.dir().getFileName() + ".corrupt-" + n); // an earlier one stays for inspection too
                }
                log.error("checkpoint {} is damaged: {}; moved to {}, trying the previous one", c.dir(), e.getMessage(), aside);
                Files.move(c.dir(), aside);
            }
        }
        return Optional.empty();
    }

    /**
     * For readers (eval, export, reports): the newest committed checkpoint that verifies, without
     * moving or deleting anything, so reading a run that is training never disturbs its writer.
     * Damaged ones are reported and skipped; {@code .tmp-*} folders (being written) are ignored.
     */
    public Optional<Checkpoint> latestCommitted() throws IOException {
        for (Checkpoint c : committed().reversed()) {
            try {
                c.verify();
                return Optional.of(c);
            } catch (java.nio.file.NoSuchFileException e) {
                log.warn("checkpoint {} disappeared while being read (pruned by its run: checkpoint.keep); trying the previous one",
                        c.dir());
            } catch (IOException e) {
                log.error("checkpoint {} is damaged: {}; trying the previous one (its run moves it aside when it resumes)",
                        c.dir(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Committed checkpoints, oldest first. */
    public List<Checkpoint> committed() throws IOException {
        List<Checkpoint> found = new ArrayList<>();
        for (Path p : children(p -> NAME.matcher(p.getFileName().toString()).matches())) {
            Matcher m = NAME.matcher(p.getFileName().toString());
            if (m.matches()) {
                found.add(new Checkpoint(p, Long.parseLong(m.group(1))));
            }
        }
        found.sort(Comparator.comparingLong(Checkpoint::step));
        return found;
    }

    /** The folder name of checkpoint {@code step}: step-NNNNNNNN. */
    public static String name(long step) {
        return String.format("step-%08d", step);
    }

    /** Deletes all but the newest {@code keep} checkpoints. */
    public void prune() throws IOException {
        List<Checkpoint> all = committed();
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i).dir());
        }
    }

    private List<Path> children(java.util.function.Predicate<Path> filter) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).filter(filter).sorted().toList();
        }
    }

    private static Manifest.FileSum sum(Path dir, String file, String sha256) throws IOException {
        return new Manifest.FileSum(sha256, Files.size(dir.resolve(file)));
    }

    private static Manifest.FileSum writeSmall(Path dir, String file, byte[] bytes) throws IOException {
        Durable.writeBytes(dir.resolve(file), bytes);
        return new Manifest.FileSum(Manifest.hex(Manifest.sha256().digest(bytes)), bytes.length);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
