package ablate.trainer.data;

import java.util.Locale;

/**
 * How tokens are packed in a {@code .bin} file: little-endian unsigned integers of the smallest
 * width that holds every id, as nanoGPT's uint16 files do, so a GPT-2-sized vocabulary costs two
 * bytes a token and only larger vocabularies pay for four.
 */
public enum TokenDtype {
    UINT16(2),
    UINT32(4);

    private final int bytes;

    TokenDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per token. */
    public int bytes() {
        return bytes;
    }

    /** The name written to corpus.json. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The narrowest dtype for ids in {@code [0, vocabSize)}. */
    public static TokenDtype forVocabSize(int vocabSize) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabSize must be positive: " + vocabSize);
        }
        return vocabSize <= 65536 ? UINT16 : UINT32;
    }

    /** Parses a corpus.json dtype name. */
    public static TokenDtype ofJsonName(String name) {
        for (TokenDtype dtype : values()) {
            if (dtype.jsonName().equals(name)) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("unknown token dtype \"" + name + "\", expected uint16 or uint32");
    }
}
