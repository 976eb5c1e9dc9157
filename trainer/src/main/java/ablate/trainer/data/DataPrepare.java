package ablate.trainer.data;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code data prepare}: turns text files and JSONL dumps into the packed token files that
 * {@link PreparedCorpus} maps for training.
 *
 * <p>One thread reads documents in input order and hands chunks of them to a pool of tokenizer
 * workers; the chunks are written back in submission order, so the output is byte-identical for any
 * number of workers. A document goes to validation iff a hash of (seed, document ordinal) falls
 * below the validation fraction, which needs no second pass and no document count in advance.
 *
 * <p>Everything is written into a temporary directory beside {@code out} and renamed at the end,
 * so a failed run leaves no half-written corpus that a later training run could pick up.
 */
public final class DataPrepare {

    private static final Logger log = LoggerFactory.getLogger(DataPrepare.class);

    // Large enough to amortize task overhead, small enough to keep every worker busy on small inputs.
    private static final int CHUNK_DOCUMENTS = 1024;
    private static final long CHUNK_CHARS = 1L << 20;

    private DataPrepare() {}

    /**
     * Prepares {@code o.out()} from {@code o.inputs()}.
     *
     * @throws IllegalArgumentException for a bad tokenizer spec or input list, before anything is written
     * @throws FileAlreadyExistsException when {@code out} exists and is not an empty directory
     * @throws DataException for input that cannot be used as it is (message names file and line)
     */
    public static PrepareSummary run(PrepareOptions o) throws IOException {
        long started = System.nanoTime();
        Path out = o.out().toAbsolutePath().normalize();
        checkOutAvailable(out);
        InputFile.Listing listing = InputFile.list(o.inputs());
        try (Tokenizer tokenizer = Tokenizers.load(o.tokenizerSpec())) {
            log.info("preparing {} input files ({} skipped) into {} with tokenizer {} on {} threads",
                    listing.files().size(), listing.skipped().size(), out, tokenizer.spec(), o.threads());
            Path parent = out.getParent();
            Files.createDirectories(parent);
            removeLeftovers(parent, out);
            return prepare(o, listing, tokenizer, out, started);
        }
    }

    /**
     * Temporary folders of earlier runs on the same output whose process is gone (its PID is in the
     * folder's name): a killed run's half-written corpus. A live run's folder is left alone.
     */
    private static void removeLeftovers(Path parent, Path out) throws IOException {
        java.util.regex.Pattern name = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote("." + out.getFileName() + ".tmp-")
                + "(\\d+)-.*");
        try (Stream<Path> siblings = Files.list(parent)) {
            for (Path p : siblings.toList()) {
                java.util.regex.Matcher m = name.matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(h -> !h.isAlive()).orElse(true)) {
                    log.warn("removing {}, left by an earlier data prepare of {} that was stopped", p, out);
                    deleteRecursively(p, new IOException("leftover " + p));
                }
            }
        }
    }

    private static PrepareSummary prepare(PrepareOptions o, InputFile.Listing listing, Tokenizer tokenizer, Path out, long started)
            throws IOException {
        Path temp = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-");
        try {
            var rejections = new Rejections.Log();
            CorpusInfo info = write(o, listing, tokenizer, temp, rejections);
            info.write(temp);
            var summary = new PrepareSummary(out, info.train(), info.val(), rejections.toRecord(),
                    listing.skipped(), (System.nanoTime() - started) / 1e9);
            summary.write(temp);
            publish(temp, out);
            log.info("prepared {} documents, {} tokens into {}", summary.documents(), summary.tokens(), out);
            return summary;
        } catch (IOException | RuntimeException | Error e) {
            deleteRecursively(temp, e);
            throw e;
        }
    }

    private static CorpusInfo write(
            PrepareOptions o, InputFile.Listing listing, Tokenizer tokenizer, Path dir, Rejections.Log rejections)
            throws IOException {
        TokenDtype dtype = TokenDtype.forVocabSize(tokenizer.vocabSize());
        ExecutorService pool = Executors.newFixedThreadPool(o.threads(),
                Thread.ofPlatform().name("data-prepare-", 0).daemon(true).factory());
        try (var train = SplitWriter.create(dir, "train", dtype);
                var val = SplitWriter.create(dir, "val", dtype)) {
            var pipeline = new Pipeline(o, tokenizer, pool, train, val);
            var reader = new DocumentReader(o.textField(), rejections);
            for (InputFile file : listing.files()) {
                log.debug("reading {}", file.path());
                reader.read(file, pipeline::add);
            }
            pipeline.finish();
            if (train.counts().documents() + val.counts().documents() == 0) {
                throw new DataException("no documents in " + o.inputs() + " (" + rejections.toRecord().total()
                        + " lines rejected, " + listing.skipped().size() + " files skipped)");
            }
            balance(train, val, o.valFraction(), tokenizer.eosId());
            List<String> inputs = listing.files().stream().map(f -> f.path().toString()).toList();
            return new CorpusInfo(tokenizer.spec(), tokenizer.vocabSize(), tokenizer.eosId(), dtype,
                    train.counts(), val.counts(), inputs, Math.max(pipeline.maxTokenId(), tokenizer.eosId()));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Hashing may leave a split empty on small inputs; move one document so that training always has
     * data and validation has some whenever it was asked for and there are two documents to share.
     */
    private static void balance(SplitWriter train, SplitWriter val, double valFraction, int eos) throws IOException {
        if (train.counts().documents() == 0) {
            train.append(val.removeLast(), eos);
        }
        if (valFraction > 0 && val.counts().documents() == 0 && train.counts().documents() >= 2) {
            val.append(train.removeLast(), eos);
        }
    }

    /** Chunks documents, tokenizes them on the pool and writes results in submission order. */
    private static final class Pipeline {
        private final PrepareOptions options;
        private final Tokenizer tokenizer;
        private final ExecutorService pool;
        private final SplitWriter train;
        private final SplitWriter val;
        private final Deque<Future<List<int[]>>> inFlight = new ArrayDeque<>();
        private final int maxInFlight;
        private List<String> chunk = new ArrayList<>();
        private long chunkChars;
        private long ordinal;
        private int maxTokenId;

        Pipeline(PrepareOptions options, Tokenizer tokenizer, ExecutorService pool, SplitWriter train, SplitWriter val) {
            this.options = options;
            this.tokenizer = tokenizer;
            this.pool = pool;
            this.train = train;
            this.val = val;
            this.maxInFlight = 2 * options.threads(); // bounds memory while keeping workers fed
        }

        void add(String document) throws IOException {
            chunk.add(document);
            chunkChars += document.length();
            if (chunk.size() >= CHUNK_DOCUMENTS || chunkChars >= CHUNK_CHARS) {
                submit();
            }
        }

        void finish() throws IOException {
            submit();
            while (!inFlight.isEmpty()) {
                writeOldest();
            }
        }

        private void submit() throws IOException {
            if (chunk.isEmpty()) {
                return;
            }
            List<String> documents = chunk;
            chunk = new ArrayList<>();
            chunkChars = 0;
            inFlight.addLast(pool.submit(() -> documents.stream().map(tokenizer::encode).toList()));
            while (inFlight.size() >= maxInFlight) {
                writeOldest();
            }
        }

        private void writeOldest() throws IOException {
            for (int[] ids : await(inFlight.removeFirst())) {
                checkIds(ids);
                boolean toVal = Mix64.unit(Mix64.hash(options.seed(), ordinal++)) < options.valFraction();
                (toVal ? val : train).append(ids, tokenizer.eosId());
            }
        }

        /** The largest id written so far (EOS aside). */
        int maxTokenId() {
            return maxTokenId;
        }

        private void checkIds(int[] ids) {
            for (int id : ids) {
                if (id < 0 || id >= tokenizer.vocabSize()) {
                    throw new IllegalStateException("tokenizer " + tokenizer.spec() + " produced id " + id
                            + " outside its vocabulary of " + tokenizer.vocabSize());
                }
                maxTokenId = Math.max(maxTokenId, id);
            }
        }

        private static <T> T await(Future<T> future) throws IOException {
            try {
                return future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while tokenizing");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("tokenizer worker failed", cause);
            }
        }
    }

    private static void checkOutAvailable(Path out) throws IOException {
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw new FileAlreadyExistsException(out.toString(), null, "exists and is not a directory");
        }
        try (Stream<Path> entries = Files.list(out)) {
            if (entries.findAny().isPresent()) {
                throw new FileAlreadyExistsException(out.toString(), null,
                        "is not empty; refusing to overwrite it, choose another output or delete it first");
            }
        }
    }

    private static void publish(Path temp, Path out) throws IOException {
        checkOutAvailable(out); // it may have appeared while we worked
        Files.deleteIfExists(out);
        Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteRecursively(Path dir, Throwable failure) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            failure.addSuppressed(e);
            log.warn("could not remove temporary directory {}", dir, e);
        }
    }
}
