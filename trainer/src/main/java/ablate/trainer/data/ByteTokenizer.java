package ablate.trainer.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 bytes as tokens: ids 0..255 are bytes and 256 ends a document.
 *
 * <p>The baseline tokenizer: it needs no files, never fails on any text, and makes token counts
 * equal byte counts, which keeps small ablations (tinyshakespeare, the built-in corpus) easy to
 * reason about.
 */
public final class ByteTokenizer implements Tokenizer {

    /** The spec string that {@link Tokenizers#load} maps to this tokenizer. */
    public static final String SPEC = "byte";

    /** The end-of-document id, the first id after the 256 byte values. */
    public static final int EOS = 256;

    @Override
    public String spec() {
        return SPEC;
    }

    @Override
    public int vocabSize() {
        return EOS + 1;
    }

    @Override
    public int eosId() {
        return EOS;
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    /**
     * Decodes leniently: a model's samples may cut a multi-byte character in half, and showing a
     * replacement character is more useful than failing.
     */
    @Override
    public String decode(int[] ids) {
        var bytes = new ByteArrayOutputStream(ids.length);
        for (int id : ids) {
            if (id == EOS) {
                continue;
            }
            if (id < 0 || id > EOS) {
                throw new IllegalArgumentException("byte tokenizer id out of range [0, 256]: " + id);
            }
            bytes.write(id);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ByteTokenizer";
    }
}
