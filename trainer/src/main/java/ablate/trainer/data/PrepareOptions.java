package ablate.trainer.data;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code data prepare} reads, how it tokenizes and where it writes.
 *
 * @param inputs files or directories, read in this order (directories walked in sorted order)
 * @param out directory to create; must not exist or be empty
 * @param tokenizerSpec {@code "byte"} or a path to a Hugging Face tokenizer.json (see {@link Tokenizers})
 * @param textField the JSONL field that holds a document's text
 * @param valFraction expected share of documents held out for validation, in [0, 1)
 * @param seed decides which documents are held out
 * @param threads tokenizer workers, at least 1; the output does not depend on it
 */
public record PrepareOptions(
        List<Path> inputs,
        Path out,
        String tokenizerSpec,
        String textField,
        double valFraction,
        long seed,
        int threads) {

    public static final String DEFAULT_TEXT_FIELD = "text";
    public static final double DEFAULT_VAL_FRACTION = 0.005;
    public static final long DEFAULT_SEED = 1337;

    public PrepareOptions {
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("no inputs given; name at least one file or directory");
        }
        if (tokenizerSpec.isBlank()) {
            throw new IllegalArgumentException("tokenizer spec is blank; use \"byte\" or a path to tokenizer.json");
        }
        if (textField.isBlank()) {
            throw new IllegalArgumentException("text field is blank");
        }
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("valFraction must be in [0, 1): " + valFraction);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
    }

    /**
     * The defaults: byte tokenizer, field "text", 0.5% validation, seed 1337, one worker per core.
     */
    public static PrepareOptions defaults(List<Path> inputs, Path out) {
        return new PrepareOptions(inputs, out, ByteTokenizer.SPEC, DEFAULT_TEXT_FIELD, DEFAULT_VAL_FRACTION,
                DEFAULT_SEED, Runtime.getRuntime().availableProcessors());
    }

    public PrepareOptions withTokenizer(String spec) {
        return new PrepareOptions(inputs, out, spec, textField, valFraction, seed, threads);
    }

    public PrepareOptions withTextField(String field) {
        return new PrepareOptions(inputs, out, tokenizerSpec, field, valFraction, seed, threads);
    }

    public PrepareOptions withValFraction(double fraction) {
        return new PrepareOptions(inputs, out, tokenizerSpec, textField, fraction, seed, threads);
    }

    public PrepareOptions withSeed(long newSeed) {
        return new PrepareOptions(inputs, out, tokenizerSpec, textField, valFraction, newSeed, threads);
    }

    public PrepareOptions withThreads(int count) {
        return new PrepareOptions(inputs, out, tokenizerSpec, textField, valFraction, seed, count);
    }
}
