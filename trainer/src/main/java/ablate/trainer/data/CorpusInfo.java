package ablate.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The contents of {@code corpus.json}: everything a reader needs to interpret the {@code .bin}
 * files without guessing, and the provenance (tokenizer, inputs) needed to reproduce them.
 *
 * <p>Deliberately free of timestamps and timings, so that preparing the same inputs twice gives
 * byte-identical files; those go to summary.json.
 *
 * @param maxTokenId the largest token id in either split (EOS included), recorded so that a run can
 *     check its model's vocabulary against the data without scanning every token at start, and so
 *     that a token file changed after preparation is caught at the first read of a larger id.
 *     Files written before it was recorded read as {@code vocabSize - 1}, the bound {@code data
 *     prepare} always enforced.
 */
public record CorpusInfo(
        String tokenizer,
        int vocabSize,
        int eosId,
        TokenDtype dtype,
        SplitCounts train,
        SplitCounts val,
        List<String> inputs,
        int maxTokenId) {

    /** The layout version written by {@link DataPrepare} and accepted by {@link PreparedCorpus}. */
    public static final int FORMAT = 1;

    static final String FILE = "corpus.json";

    public CorpusInfo {
        if (tokenizer.isBlank()) {
            throw new IllegalArgumentException("tokenizer spec is blank");
        }
        if (eosId < 0 || eosId >= vocabSize) {
            throw new IllegalArgumentException("eosId " + eosId + " outside vocabulary of " + vocabSize);
        }
        if (dtype != TokenDtype.forVocabSize(vocabSize)) {
            throw new IllegalArgumentException("dtype " + dtype + " does not match vocabSize " + vocabSize);
        }
        if (maxTokenId < 0 || maxTokenId >= vocabSize) {
            throw new IllegalArgumentException("maxTokenId " + maxTokenId + " outside vocabulary of " + vocabSize);
        }
        inputs = List.copyOf(inputs);
    }

    void write(Path dir) throws IOException {
        var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("format", FORMAT);
        root.put("tokenizer", tokenizer);
        root.put("vocabSize", vocabSize);
        root.put("eosId", eosId);
        root.put("dtype", dtype.jsonName());
        root.put("maxTokenId", maxTokenId);
        ObjectNode splits = root.putObject("splits");
        putSplit(splits.putObject("train"), train);
        putSplit(splits.putObject("val"), val);
        var inputArray = root.putArray("inputs");
        inputs.forEach(inputArray::add);
        Files.writeString(dir.resolve(FILE), mapper.writeValueAsString(root) + "\n");
    }

    private static void putSplit(ObjectNode node, SplitCounts counts) {
        node.put("documents", counts.documents());
        node.put("tokens", counts.tokens());
    }

    /**
     * Reads {@code dir/corpus.json}.
     *
     * @throws DataException naming the file when it is missing, unreadable or of another format
     */
    static CorpusInfo read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new DataException(file + " is missing; is " + dir + " a directory written by `data prepare`?");
        }
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            int format = required(root, "format", file).asInt();
            if (format != FORMAT) {
                throw new DataException(file + " has format " + format + ", this version reads format " + FORMAT);
            }
            List<String> inputs = new ArrayList<>();
            root.path("inputs").forEach(n -> inputs.add(n.asText()));
            JsonNode splits = required(root, "splits", file);
            int vocabSize = required(root, "vocabSize", file).asInt();
            JsonNode maxTokenId = root.get("maxTokenId");
            if (maxTokenId != null && !maxTokenId.canConvertToInt()) {
                throw new DataException(file + ": \"maxTokenId\" must be an integer, not " + maxTokenId);
            }
            return new CorpusInfo(
                    required(root, "tokenizer", file).asText(),
                    vocabSize,
                    required(root, "eosId", file).asInt(),
                    TokenDtype.ofJsonName(required(root, "dtype", file).asText()),
                    split(splits, "train", file),
                    split(splits, "val", file),
                    inputs,
                    maxTokenId == null ? vocabSize - 1 : maxTokenId.intValue());
        } catch (IOException | IllegalArgumentException e) {
            throw new DataException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static SplitCounts split(JsonNode splits, String name, Path file) {
        JsonNode node = required(splits, name, file);
        return new SplitCounts(required(node, "documents", file).asLong(), required(node, "tokens", file).asLong());
    }

    private static JsonNode required(JsonNode node, String field, Path file) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new DataException(file + " lacks the field \"" + field + "\"");
        }
        return value;
    }
}
