package ablate.trainer.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the documents of one input file in order, leaving out damaged lines and recording why.
 *
 * <p>Damage that looks local (a line that is not JSON, bytes that are not UTF-8) is counted and
 * skipped: large web dumps always have some. A record that parses but has no text under the
 * expected field is fatal instead, because it almost always means the wrong field name or the
 * wrong file, and skipping every line would quietly produce an empty corpus.
 */
final class DocumentReader {

    /** Receives documents in input order. */
    @FunctionalInterface
    interface Sink {
        void accept(String text) throws IOException;
    }

    static final String INVALID_UTF8 = "invalid UTF-8";
    static final String MALFORMED_JSON = "malformed JSON";
    static final String EMPTY_TEXT = "empty text";

    private final String textField;
    private final Rejections.Log rejections;
    /** No limit on a text's length beyond the JVM's (Jackson's default stops at 20M characters: a long book is one valid line). */
    private final ObjectMapper json = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build()).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    DocumentReader(String textField, Rejections.Log rejections) {
        this.textField = textField;
        this.rejections = rejections;
    }

    void read(InputFile file, Sink sink) throws IOException {
        try (var lines = new LineReader(file.open())) {
            switch (file.format()) {
                case TXT -> readText(file, lines, sink);
                case JSONL -> readJsonLines(file, lines, sink);
            }
        }
    }

    /** The whole file is one document; a line that is not UTF-8 is dropped from it. */
    private void readText(InputFile file, LineReader lines, Sink sink) throws IOException {
        var text = new StringBuilder();
        while (lines.next()) {
            try {
                text.append(decode(lines.bytes(), lines.length()));
            } catch (CharacterCodingException e) {
                rejections.reject(location(file, lines), INVALID_UTF8, "");
            }
        }
        if (text.isEmpty()) {
            rejections.reject(file.path() + ":1", EMPTY_TEXT, "");
            return;
        }
        sink.accept(text.toString());
    }

    private void readJsonLines(InputFile file, LineReader lines, Sink sink) throws IOException {
        while (lines.next()) {
            int length = trimmedLength(lines.bytes(), lines.length());
            if (length == 0) {
                continue; // blank lines, e.g. a trailing newline, are not records
            }
            String line;
            try {
                line = decode(lines.bytes(), length);
            } catch (CharacterCodingException e) {
                rejections.reject(location(file, lines), INVALID_UTF8, "");
                continue;
            }
            JsonNode record;
            try {
                record = json.readTree(line);
            } catch (JsonProcessingException e) {
                rejections.reject(location(file, lines), MALFORMED_JSON, firstLine(e.getOriginalMessage()));
                continue;
            }
            String text = text(record, file, lines);
            if (text.isEmpty()) {
                rejections.reject(location(file, lines), EMPTY_TEXT, "");
                continue;
            }
            sink.accept(text);
        }
    }

    private String text(JsonNode record, InputFile file, LineReader lines) {
        if (record == null || !record.isObject()) {
            throw new DataException(location(file, lines) + ": expected a JSON object with a string field \""
                    + textField + "\", found " + (record == null ? "nothing" : record.getNodeType()));
        }
        JsonNode text = record.get(textField);
        if (text == null) {
            List<String> fields = new ArrayList<>();
            record.fieldNames().forEachRemaining(fields::add);
            throw new DataException(location(file, lines) + ": no field \"" + textField + "\" (fields: " + fields
                    + "); pass the right text field or fix the file");
        }
        if (!text.isTextual()) {
            throw new DataException(location(file, lines) + ": field \"" + textField + "\" is "
                    + text.getNodeType() + ", not a string");
        }
        return text.textValue();
    }

    private String decode(byte[] bytes, int length) throws CharacterCodingException {
        return utf8.reset().decode(ByteBuffer.wrap(bytes, 0, length)).toString();
    }

    private static int trimmedLength(byte[] bytes, int length) {
        int end = length;
        while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r' || bytes[end - 1] == ' '
                || bytes[end - 1] == '\t')) {
            end--;
        }
        return end;
    }

    private static String location(InputFile file, LineReader lines) {
        return file.path() + ":" + lines.lineNumber();
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
