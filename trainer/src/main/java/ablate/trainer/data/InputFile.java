package ablate.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One input of {@code data prepare}, recognised by its name: {@code .txt} (a document per file)
 * or {@code .jsonl} (a document per line), each optionally {@code .gz} or {@code .zst}.
 */
record InputFile(Path path, Format format, Compression compression) {

    enum Format { TXT, JSONL }

    enum Compression { NONE, GZIP, ZSTD }

    static final String ACCEPTED = ".txt, .jsonl, and either with .gz or .zst";

    /** The files to read, in order, and the files found in directories that were not inputs. */
    record Listing(List<InputFile> files, List<Path> skipped) {
        Listing {
            files = List.copyOf(files);
            skipped = List.copyOf(skipped);
        }
    }

    /** The input kind {@code path}'s name says, if any. */
    static Optional<InputFile> classify(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        Compression compression = Compression.NONE;
        if (name.endsWith(".gz")) {
            compression = Compression.GZIP;
            name = name.substring(0, name.length() - 3);
        } else if (name.endsWith(".zst")) {
            compression = Compression.ZSTD;
            name = name.substring(0, name.length() - 4);
        }
        if (name.endsWith(".txt")) {
            return Optional.of(new InputFile(path, Format.TXT, compression));
        }
        if (name.endsWith(".jsonl")) {
            return Optional.of(new InputFile(path, Format.JSONL, compression));
        }
        return Optional.empty();
    }

    /**
     * Expands {@code inputs}: files are taken as named, directories walked recursively in sorted
     * path order, so the same tree always gives the same document order.
     *
     * @throws IllegalArgumentException for a missing input, an explicitly named file of an
     *     unsupported kind, or a file reached twice
     */
    static Listing list(List<Path> inputs) throws IOException {
        List<InputFile> files = new ArrayList<>();
        List<Path> skipped = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                List<Path> found;
                try (Stream<Path> walk = Files.walk(input)) {
                    found = walk.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path file : found) {
                    classify(file).ifPresentOrElse(f -> add(f, files, seen), () -> skipped.add(file));
                }
            } else if (Files.isRegularFile(input)) {
                InputFile file = classify(input).orElseThrow(() -> new IllegalArgumentException(
                        "input " + input + " is not a supported kind; accepted: " + ACCEPTED));
                add(file, files, seen);
            } else {
                throw new IllegalArgumentException("input " + input + " does not exist");
            }
        }
        return new Listing(files, skipped);
    }

    private static void add(InputFile file, List<InputFile> files, Set<Path> seen) {
        if (!seen.add(file.path().toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("input " + file.path() + " is named twice; its documents would be counted twice");
        }
        files.add(file);
    }

    /**
     * The decompressed bytes of this file.
     *
     * @throws DataException (while reading) naming the file when its compressed data are truncated or corrupt
     */
    InputStream open() throws IOException {
        return CompressedInput.open(path, compression);
    }
}
