package ablate.evaluator.tasks;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tab-separated files with a header row; every field is text. Two flavours:
 * <ul>
 * <li>{@code tsv}: split on tabs with no quote processing, as Hugging Face's GLUE loader reads
 * GLUE's own {@code dev.tsv} ({@code quoting=csv.QUOTE_NONE}): quote marks stay in the texts;</li>
 * <li>{@code tsv-quoted}: Python's csv "excel-tab" dialect, as pandas' {@code to_csv(sep="\t")}
 * writes a Hugging Face export: a field in quotes may hold tabs, and {@code ""} inside it is one
 * quote mark.</li>
 * </ul>
 * A row with another number of fields than the header, or an unclosed quote, fails naming its line.
 */
final class TsvReader implements DocumentReader {
    private final boolean quoted;

    TsvReader(boolean quoted) {
        this.quoted = quoted;
    }

    @Override
    public List<Document> read(List<Path> files) throws TaskDataException {
        List<Document> docs = new ArrayList<>();
        for (Path file : files) {
            String[] lines = DocumentReader.readText(file).split("\n", -1);
            if (lines.length == 0 || lines[0].isBlank()) {
                throw new TaskDataException(file, 1, "expected a header row of tab-separated field names");
            }
            List<String> header = fields(file, 1, lines[0]);
            for (int i = 1; i < lines.length; i++) {
                if (lines[i].isEmpty()) {
                    continue;
                }
                List<String> values = fields(file, i + 1, lines[i]);
                if (values.size() != header.size()) {
                    throw new TaskDataException(file, i + 1, "expected " + header.size() + " tab-separated fields (" + String.join(", ", header)
                            + "), got " + values.size());
                }
                ObjectNode fields = JsonNodeFactory.instance.objectNode();
                for (int c = 0; c < header.size(); c++) {
                    fields.put(header.get(c), values.get(c));
                }
                docs.add(new Document(docs.size(), fields, file + ":" + (i + 1)));
            }
        }
        return docs;
    }

    private List<String> fields(Path file, int line, String text) throws TaskDataException {
        if (!quoted) {
            return List.of(text.split("\t", -1));
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        while (true) {
            StringBuilder field = new StringBuilder();
            if (i < text.length() && text.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= text.length()) {
                        throw new TaskDataException(file, line, "a quoted field is not closed on its line (field " + (out.size() + 1) + ")");
                    }
                    char c = text.charAt(i++);
                    if (c == '"' && i < text.length() && text.charAt(i) == '"') {
                        field.append('"');
                        i++;
                    } else if (c == '"') {
                        break;
                    } else {
                        field.append(c);
                    }
                }
                if (i < text.length() && text.charAt(i) != '\t') {
                    throw new TaskDataException(file, line, "text after a closing quote in field " + (out.size() + 1));
                }
            } else {
                int end = text.indexOf('\t', i);
                field.append(text, i, end < 0 ? text.length() : end);
                i = end < 0 ? text.length() : end;
            }
            out.add(field.toString());
            if (i >= text.length()) {
                return out;
            }
            i++; // the tab
        }
    }
}
