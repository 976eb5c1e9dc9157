package ablate.trainer.data;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A directory written by {@link DataPrepare}, opened for training: corpus.json is checked against
 * the files beside it and both splits are memory-mapped.
 *
 * <p>Every file is validated at open, so a truncated copy fails at start with the file's name
 * instead of hours later with a read past the end. Close it to unmap; streams read after that fail.
 */
public final class PreparedCorpus implements AutoCloseable {

    private final Path dir;
    private final CorpusInfo info;
    private final Arena arena;
    private final TokenStream train;
    private final TokenStream val;

    private PreparedCorpus(Path dir, CorpusInfo info, Arena arena, TokenStream train, TokenStream val) {
        this.dir = dir;
        this.info = info;
        this.arena = arena;
        this.train = train;
        this.val = val;
    }

    /**
     * Opens {@code dir}.
     *
     * @throws DataException naming the file when corpus.json, a .bin or an .idx is missing or its
     *     size disagrees with corpus.json
     */
    public static PreparedCorpus open(Path dir) {
        CorpusInfo info = CorpusInfo.read(dir);
        Arena arena = Arena.ofShared();
        try {
            TokenStream train = openSplit(dir, "train", info.train(), info, arena);
            TokenStream val = openSplit(dir, "val", info.val(), info, arena);
            return new PreparedCorpus(dir, info, arena, train, val);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static TokenStream openSplit(Path dir, String split, SplitCounts counts, CorpusInfo info, Arena arena) {
        TokenDtype dtype = info.dtype();
        Path bin = dir.resolve(split + ".bin");
        Path idx = dir.resolve(split + ".idx");
        checkSize(bin, counts.tokens() * dtype.bytes(), counts.tokens() + " " + dtype.jsonName() + " tokens");
        checkSize(idx, (counts.documents() + 1) * Long.BYTES, (counts.documents() + 1) + " offsets");
        if (counts.tokens() == 0) {
            return new ArrayTokenStream(new int[0]);
        }
        try {
            return MappedTokenStream.map(bin, dtype, counts.tokens(), info.maxTokenId(), arena);
        } catch (IOException e) {
            throw new DataException("cannot map " + bin + ": " + e.getMessage(), e);
        }
    }

    private static void checkSize(Path file, long expected, String what) {
        if (!Files.isRegularFile(file)) {
            throw new DataException(file + " is missing; corpus.json expects " + what);
        }
        long actual;
        try {
            actual = Files.size(file);
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (actual != expected) {
            String problem = actual < expected ? "is truncated" : "is longer than expected";
            throw new DataException(file + " " + problem + ": " + actual + " bytes, corpus.json expects "
                    + expected + " (" + what + ")");
        }
    }

    /** The directory this corpus was opened from. */
    public Path dir() {
        return dir;
    }

    /** Everything corpus.json says. */
    public CorpusInfo info() {
        return info;
    }

    /** The corpus.json this corpus was described by, for messages that name it. */
    public Path infoFile() {
        return dir.resolve(CorpusInfo.FILE);
    }

    /** The tokenizer spec the corpus was prepared with, for {@link Tokenizers#load}. */
    public String tokenizerSpec() {
        return info.tokenizer();
    }

    public int vocabSize() {
        return info.vocabSize();
    }

    public int eosId() {
        return info.eosId();
    }

    public TokenStream train() {
        return train;
    }

    public TokenStream val() {
        return val;
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "PreparedCorpus[" + dir + ", train " + info.train() + ", val " + info.val() + "]";
    }
}
