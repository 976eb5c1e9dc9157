package ablate.evaluator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a task's documents may come from: a format, files relative to the user's data directory,
 * field mappings that rename a source's fields to the Hugging Face names the prompt uses, an
 * optional grouping (RACE groups questions by article), and whether the prompts it yields are
 * byte-identical to the harness's ({@code harnessExact}; when not, {@code note} says why and the
 * evaluator prints it next to the result).
 */
public record Source(Format format, List<String> files, Map<String, Template> fields, Grouping grouping, boolean harnessExact, String note) {

    public Source {
        files = List.copyOf(files);
        fields = Map.copyOf(new LinkedHashMap<>(fields));
        Objects.requireNonNull(grouping, "grouping");
        Objects.requireNonNull(note, "note");
        if (files.isEmpty()) throw new IllegalArgumentException("a source needs at least one file");
        int n = format.reader().fileCount();
        if (n > 0 && files.size() != n) throw new IllegalArgumentException("format " + format.configName() + " takes " + n + " files, got " + files.size());
    }

    /** The formats a source may name, each read by one {@link DocumentReader}. */
    public enum Format {
        JSONL("jsonl", new JsonRecordReader(JsonRecordReader.Shape.ANY)),
        JSON("json", new JsonRecordReader(JsonRecordReader.Shape.ANY)),
        MULTIPLE_CHOICE("multiple-choice", new JsonRecordReader(JsonRecordReader.Shape.MULTIPLE_CHOICE)),
        CLOZE("cloze", new JsonRecordReader(JsonRecordReader.Shape.CLOZE)),
        PIQA("piqa-original", new PiqaReader()),
        HELLASWAG_TEXT("hellaswag-klosax", new HellaswagTextReader()),
        LOGIQA_TEXT("logiqa-original", new LogiqaTextReader()),
        PUBMEDQA("pubmedqa-original", new PubmedqaReader()),
        WIKITEXT("wikitext", new WikitextReader()),
        TSV("tsv", new TsvReader(false)),
        TSV_QUOTED("tsv-quoted", new TsvReader(true));

        private final String configName;
        private final DocumentReader reader;

        Format(String configName, DocumentReader reader) {
            this.configName = configName;
            this.reader = reader;
        }

        public String configName() {
            return configName;
        }

        DocumentReader reader() {
            return reader;
        }

        static Format byName(String name) {
            for (Format f : values()) if (f.configName.equals(name)) return f;
            List<String> names = new ArrayList<>();
            for (Format f : values()) names.add(f.configName);
            throw new IllegalArgumentException("unknown format '" + name + "'" + DidYouMean.suggest(name, names) + " (known: " + String.join(", ", names) + ")");
        }
    }

    /** How records become documents: one each, or grouped by a key field. */
    public sealed interface Grouping {
        record None() implements Grouping {}

        /** Records with equal {@code key} become one document {key, into: [record fields...]}, in first-seen order. */
        record ByField(String key, String into, List<String> keep) implements Grouping {
            public ByField {
                keep = List.copyOf(keep);
            }
        }
    }

    /** Whether every file of this source exists under {@code dataDir}. */
    public boolean presentIn(Path dataDir) {
        return files.stream().allMatch(f -> Files.isRegularFile(dataDir.resolve(f)));
    }

    public String describe() {
        return format.configName() + " " + String.join(" + ", files) + (harnessExact ? " (harness-exact)" : " (NOT harness-exact: " + note + ")");
    }

    /** Reads, maps and groups this source's documents. */
    List<Document> read(Path dataDir) throws TaskDataException {
        List<Path> paths = files.stream().map(dataDir::resolve).toList();
        List<Document> raw = format.reader().read(paths);
        List<Document> mapped = new ArrayList<>(raw.size());
        for (Document d : raw) mapped.add(fields.isEmpty() ? d : map(d, paths.getFirst()));
        return switch (grouping) {
            case Grouping.None n -> mapped;
            case Grouping.ByField g -> group(mapped, g, paths.getFirst());
        };
    }

    private Document map(Document d, Path file) throws TaskDataException {
        ObjectNode out = d.fields().deepCopy();
        for (var e : fields.entrySet()) {
            JsonNode value;
            try {
                value = e.getValue().evaluate(d.fields(), Map.of());
            } catch (Template.RenderException ex) {
                throw new TaskDataException(file, lineOf(d), "field '" + e.getKey() + "' = \"" + e.getValue().source() + "\": " + ex.getMessage());
            }
            put(out, e.getKey(), value);
        }
        return new Document(d.index(), out, d.origin());
    }

    private static void put(ObjectNode root, String path, JsonNode value) {
        String[] parts = path.split("\\.");
        ObjectNode cur = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = cur.get(parts[i]);
            cur = next instanceof ObjectNode o ? o : cur.putObject(parts[i]);
        }
        cur.set(parts[parts.length - 1], value);
    }

    private static List<Document> group(List<Document> docs, Grouping.ByField g, Path file) throws TaskDataException {
        Map<String, ObjectNode> groups = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        for (Document d : docs) {
            JsonNode key = d.fields().get(g.key());
            if (key == null || !key.isTextual()) throw new TaskDataException(file, lineOf(d), "expected a text field '" + g.key() + "' to group by");
            ObjectNode group = groups.computeIfAbsent(key.textValue(), k -> {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.set(g.key(), key);
                o.putArray(g.into());
                return o;
            });
            origins.putIfAbsent(key.textValue(), d.origin());
            ObjectNode item = JsonNodeFactory.instance.objectNode();
            for (String k : g.keep()) {
                if (!d.fields().has(k)) throw new TaskDataException(file, lineOf(d), "expected a field '" + k + "'");
                item.set(k, d.fields().get(k));
            }
            ((ArrayNode) group.get(g.into())).add(item);
        }
        List<Document> out = new ArrayList<>();
        for (var e : groups.entrySet()) out.add(new Document(out.size(), e.getValue(), origins.get(e.getKey())));
        return out;
    }

    private static long lineOf(Document d) {
        String o = d.origin();
        int colon = o.lastIndexOf(':');
        return colon >= 0 && o.substring(colon + 1).matches("[0-9]+") ? Long.parseLong(o.substring(colon + 1)) : 0;
    }
}
