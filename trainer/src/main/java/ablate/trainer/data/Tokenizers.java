package ablate.trainer.data;

import java.nio.file.Files;
import java.nio.file.Path;

/** Turns a tokenizer spec from the command line or corpus.json into a {@link Tokenizer}. */
public final class Tokenizers {

    private Tokenizers() {}

    /**
     * Loads {@code spec}: {@code "byte"} for {@link ByteTokenizer}, otherwise a path to a Hugging
     * Face tokenizer.json or to a directory holding one.
     *
     * @throws IllegalArgumentException naming the path when it does not hold a usable tokenizer
     */
    public static Tokenizer load(String spec) {
        if (spec.isBlank()) {
            throw new IllegalArgumentException("tokenizer spec is blank; use \"byte\" or a path to tokenizer.json");
        }
        if (spec.equals(ByteTokenizer.SPEC)) {
            return new ByteTokenizer();
        }
        Path path = Path.of(spec);
        if (Files.isDirectory(path)) {
            if (!HfTokenizer.isTokenizerDirectory(path)) {
                throw new IllegalArgumentException("tokenizer directory " + path + " has no tokenizer.json");
            }
            return HfTokenizer.load(spec, path.resolve("tokenizer.json"));
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(
                    "tokenizer " + path + " does not exist; use \"byte\" or a path to tokenizer.json");
        }
        return HfTokenizer.load(spec, path);
    }
}
