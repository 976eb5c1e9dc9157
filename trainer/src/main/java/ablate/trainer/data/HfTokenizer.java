package ablate.trainer.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust tokenizers library through DJL.
 *
 * <p>DJL's wrapper exposes neither the vocabulary size nor token lookup, so both are read from the
 * JSON itself: the size is one more than the largest id in the model vocabulary or the added
 * tokens, which is what an embedding table must cover.
 */
public final class HfTokenizer implements Tokenizer {

    /** End-of-text tokens of the common tokenizer families, tried in this order. */
    static final List<String> EOS_CANDIDATES = List.of("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>");

    // No special tokens, no truncation, no padding: documents are cut into windows later, and the
    // pipeline adds its own end-of-document marker.
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private final String spec;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final int eosId;

    private HfTokenizer(String spec, HuggingFaceTokenizer tokenizer, int vocabSize, int eosId) {
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.eosId = eosId;
    }

    /**
     * Loads {@code file}, a tokenizer.json; {@code spec} is what the user wrote, kept for corpus.json.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read or has no end token
     */
    static HfTokenizer load(String spec, Path file) {
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
        int vocabSize = vocabSize(json, file);
        int eosId = eosId(json)
                .orElseThrow(() -> new IllegalArgumentException("tokenizer " + file
                        + " has none of the end-of-text tokens " + EOS_CANDIDATES
                        + "; documents need one to be separated"));
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, OPTIONS);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
        }
        return new HfTokenizer(spec, tokenizer, vocabSize, eosId);
    }

    private static int vocabSize(JsonNode json, Path file) {
        long maxId = -1;
        JsonNode vocab = json.path("model").path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                maxId = Math.max(maxId, id.asLong(-1));
            }
        } else if (vocab.isArray()) {
            maxId = vocab.size() - 1L; // Unigram: a list of [piece, score], the id is the position
        }
        for (JsonNode added : json.path("added_tokens")) {
            maxId = Math.max(maxId, added.path("id").asLong(-1));
        }
        if (maxId < 0 || maxId >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tokenizer " + file + " has no usable model.vocab");
        }
        return (int) maxId + 1;
    }

    private static OptionalInt eosId(JsonNode json) {
        for (String candidate : EOS_CANDIDATES) {
            for (JsonNode added : json.path("added_tokens")) {
                if (candidate.equals(added.path("content").asText())) {
                    return OptionalInt.of(added.path("id").asInt());
                }
            }
            JsonNode vocab = json.path("model").path("vocab");
            if (vocab.isObject() && vocab.has(candidate)) {
                return OptionalInt.of(vocab.get(candidate).asInt());
            }
            if (vocab.isArray()) {
                for (int i = 0; i < vocab.size(); i++) {
                    if (candidate.equals(vocab.get(i).path(0).asText())) {
                        return OptionalInt.of(i);
                    }
                }
            }
        }
        return OptionalInt.empty();
    }

    /** Whether {@code dir} holds a tokenizer.json, i.e. can be given as a spec. */
    static boolean isTokenizerDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json"));
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] kept = Arrays.stream(ids).filter(id -> id != eosId).asLongStream().toArray();
        return tokenizer.decode(kept, false);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + spec + ", vocab " + vocabSize + ", eos " + eosId + "]";
    }
}
