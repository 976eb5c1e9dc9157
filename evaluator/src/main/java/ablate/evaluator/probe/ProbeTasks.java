package ablate.evaluator.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Zero-shot probe tasks made from held-out text, for studies without downloaded benchmarks (the
 * demo, a user's own corpus). Five tasks in the harness's shapes, scored by the harness's code:
 *
 * <ul>
 *   <li>{@code probe_cloze} (LAMBADA's shape: {@code acc} = the last word of a sentence is the
 *       greedy continuation, and its {@code ppl}), after the text before it;
 *   <li>{@code probe_word} (a word of a sentence against three other words of the same document);
 *   <li>{@code probe_copy} (the same, at a word that repeats what followed the same two words
 *       earlier in the context: the induction a model needs positions for);
 *   <li>{@code probe_next} (a sentence against three sentences of other documents of similar length,
 *       after the text before it: StoryCloze's and HellaSwag's shape);
 *   <li>{@code probe_order} (a sentence against three reorderings of its words: the choices hold
 *       the same characters, so only word order, what position information gives a model, tells
 *       them apart).
 * </ul>
 *
 * Every sentence probed is at most half the model's window and its context fills the rest, so no
 * request loses tokens. Writes {@code DIR/tasks/probe_*.conf} (for {@code --task-dir}) and {@code
 * DIR/probe/*.jsonl} (under {@code --data-dir DIR}) in the generic formats.
 */
public final class ProbeTasks {
    public static final List<String> NAMES = List.of("probe_cloze", "probe_word", "probe_copy", "probe_next", "probe_order");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SENTENCE = Pattern.compile("[^.!?]+[.!?]");

    private ProbeTasks() {}

    /** A sentence of a held-out document, the text before it (at most what the window leaves), and its words. */
    private record Sentence(int doc, String text, String before, String[] words) {}

    /**
     * @param documents held-out text, never trained on
     * @param window the model's window in characters (bytes for the byte tokenizer)
     * @param count documents per task (fewer when the text has fewer usable sentences)
     * @return how many documents each task of {@link #NAMES} got, in that order
     */
    public static Map<String, Integer> write(Path dir, List<String> documents, int window, int count, long seed) {
        List<Sentence> sentences = sentences(documents, window);
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, List<ObjectNode>> tasks = new LinkedHashMap<>();
        tasks.put("probe_cloze", cloze(sentences, count, random.split()));
        tasks.put("probe_word", word(sentences, documents, count, random.split()));
        tasks.put("probe_copy", copy(sentences, documents, count, random.split()));
        tasks.put("probe_next", next(sentences, window, count, random.split()));
        tasks.put("probe_order", order(sentences, count, random.split()));
        Map<String, Integer> counts = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, List<ObjectNode>> t : tasks.entrySet()) {
                String file = t.getKey().substring("probe_".length()) + ".jsonl";
                writeLines(dir.resolve("probe").resolve(file), t.getValue());
                Files.createDirectories(dir.resolve("tasks"));
                Files.writeString(dir.resolve("tasks").resolve(t.getKey() + ".conf"), definition(t.getKey(), file), StandardCharsets.UTF_8);
                counts.put(t.getKey(), t.getValue().size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the probe tasks into " + dir, e);
        }
        return counts;
    }

    private static List<Sentence> sentences(List<String> documents, int window) {
        List<Sentence> out = new ArrayList<>();
        for (int d = 0; d < documents.size(); d++) {
            String doc = documents.get(d);
            Matcher m = SENTENCE.matcher(doc);
            while (m.find()) {
                String sentence = m.group().strip();
                int start = m.end() - sentence.length();
                if (sentence.length() > window / 2) {
                    continue;
                }
                String before = doc.substring(Math.max(0, start - (window - sentence.length() - 2)), start).strip();
                String[] words = sentence.substring(0, sentence.length() - 1).split(" ");
                if (!before.isEmpty() && words.length >= 4) {
                    out.add(new Sentence(d, sentence, before, words));
                }
            }
        }
        return out;
    }

    private static List<ObjectNode> cloze(List<Sentence> sentences, int count, SplittableRandom random) {
        List<ObjectNode> out = new ArrayList<>();
        for (Sentence s : shuffled(sentences, random)) {
            if (out.size() == count) {
                break;
            }
            String head = s.text().substring(0, s.text().lastIndexOf(' '));
            out.add(JSON.createObjectNode().put("context", s.before() + " " + head).put("continuation", " " + s.words()[s.words().length - 1]));
        }
        return out;
    }

    private static List<ObjectNode> word(List<Sentence> sentences, List<String> documents, int count, SplittableRandom random) {
        List<ObjectNode> out = new ArrayList<>();
        for (Sentence s : shuffled(sentences, random)) {
            if (out.size() == count) {
                break;
            }
            int at = 1 + random.nextInt(s.words().length - 1);
            String truth = s.words()[at].replaceAll("[^\\p{L}\\p{N}]", "");
            if (truth.length() < 3 || !s.words()[at].equals(truth)) {
                continue;
            }
            List<String> others = otherWords(documents.get(s.doc()), truth, random);
            if (others.size() < 3) {
                continue;
            }
            String query = s.before() + " " + String.join(" ", java.util.Arrays.copyOfRange(s.words(), 0, at));
            out.add(choice(query, truth, others, random));
        }
        return out;
    }

    private static List<ObjectNode> copy(List<Sentence> sentences, List<String> documents, int count, SplittableRandom random) {
        List<ObjectNode> out = new ArrayList<>();
        for (Sentence s : shuffled(sentences, random)) {
            if (out.size() == count) {
                break;
            }
            String[] before = s.before().split(" ");
            String[] words = concat(before, s.words());
            for (int j = Math.max(2, before.length); j < words.length; j++) {
                String truth = words[j].replaceAll("[^\\p{L}\\p{N}]+$", "");
                if (truth.length() < 2 || !repeated(words, j)) {
                    continue;
                }
                List<String> others = otherWords(documents.get(s.doc()), truth, random);
                if (others.size() == 3) {
                    out.add(choice(String.join(" ", java.util.Arrays.copyOfRange(words, 0, j)), truth, others, random));
                }
                break;
            }
        }
        return out;
    }

    /** Whether words j-2, j-1 and j occurred together before j (the last word compared without trailing punctuation). */
    private static boolean repeated(String[] words, int j) {
        String next = words[j].replaceAll("[^\\p{L}\\p{N}]+$", "");
        for (int k = 2; k < j - 2; k++) {
            if (words[k - 2].equals(words[j - 2]) && words[k - 1].equals(words[j - 1]) && words[k].replaceAll("[^\\p{L}\\p{N}]+$", "").equals(next)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> otherWords(String document, String truth, SplittableRandom random) {
        LinkedHashSet<String> others = new LinkedHashSet<>();
        List<String> pool = List.of(document.split("[^\\p{L}\\p{N}]+"));
        for (int attempt = 0; attempt < 50 && others.size() < 3; attempt++) {
            String w = pool.get(random.nextInt(pool.size()));
            if (w.length() >= 2 && !w.equalsIgnoreCase(truth)) {
                others.add(w);
            }
        }
        return new ArrayList<>(others);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static List<ObjectNode> next(List<Sentence> sentences, int window, int count, SplittableRandom random) {
        List<ObjectNode> out = new ArrayList<>();
        for (Sentence s : shuffled(sentences, random)) {
            if (out.size() == count) {
                break;
            }
            LinkedHashSet<String> others = new LinkedHashSet<>();
            for (int attempt = 0; attempt < 200 && others.size() < 3; attempt++) {
                Sentence o = sentences.get(random.nextInt(sentences.size()));
                double ratio = o.text().length() / (double) s.text().length();
                if (o.doc() != s.doc() && ratio > 0.7 && ratio < 1.4 && !o.text().equals(s.text())) {
                    others.add(o.text());
                }
            }
            if (others.size() == 3) {
                int longest = Math.max(s.text().length(), others.stream().mapToInt(String::length).max().orElse(0));
                String before = s.before().substring(Math.max(0, s.before().length() - (window - longest - 2)));
                before = before.length() < s.before().length() && before.contains(" ") ? before.substring(before.indexOf(' ') + 1) : before;
                out.add(choice(before, s.text(), new ArrayList<>(others), random));
            }
        }
        return out;
    }

    private static List<ObjectNode> order(List<Sentence> sentences, int count, SplittableRandom random) {
        List<ObjectNode> out = new ArrayList<>();
        for (Sentence s : shuffled(sentences, random)) {
            if (out.size() == count) {
                break;
            }
            String end = s.text().substring(s.text().length() - 1);
            LinkedHashSet<String> others = new LinkedHashSet<>();
            for (int attempt = 0; attempt < 30 && others.size() < 3; attempt++) {
                String[] w = s.words().clone();
                // swap two words after the first: the sentence keeps its opening, its characters and its length
                int i = 1 + random.nextInt(w.length - 1);
                int j = 1 + random.nextInt(w.length - 1);
                String t = w[i];
                w[i] = w[j];
                w[j] = t;
                String reordered = String.join(" ", w) + end;
                if (!reordered.equals(s.text())) {
                    others.add(reordered);
                }
            }
            if (others.size() == 3) {
                out.add(choice(s.before(), s.text(), new ArrayList<>(others), random));
            }
        }
        return out;
    }

    /** A multiple-choice record: the truth at a random place among the others. */
    private static ObjectNode choice(String query, String truth, List<String> others, SplittableRandom random) {
        int gold = random.nextInt(others.size() + 1);
        others.add(gold, truth);
        ObjectNode o = JSON.createObjectNode().put("query", query).put("gold", gold);
        others.forEach(o.putArray("choices")::add);
        return o;
    }

    private static List<Sentence> shuffled(List<Sentence> sentences, SplittableRandom random) {
        List<Sentence> copy = new ArrayList<>(sentences);
        for (int i = copy.size() - 1; i > 0; i--) {
            java.util.Collections.swap(copy, i, random.nextInt(i + 1));
        }
        return copy;
    }

    private static String definition(String name, String file) {
        String header = switch (name) {
            case "probe_cloze" -> "the last word of a sentence after the text before it (LAMBADA's shape and metrics)";
            case "probe_word" -> "a word of a sentence against three other words of its document";
            case "probe_copy" -> "a word that repeats what followed the same two words earlier, against three other words";
            case "probe_next" -> "a sentence against three sentences of other documents, after the text before it";
            default -> "a sentence against three reorderings of its words; only word order tells them apart";
        };
        String body = name.equals("probe_cloze") ? """
                kind = cloze
                text = "{{context}}"
                target = "{{continuation}}"
                metrics = [{name = acc}, {name = ppl}]
                sources = [{format = cloze, files = ["probe/%s"]}]
                """.formatted(file) : """
                kind = multiple-choice
                text = "{{query}}"
                choices = "{{choices}}"
                gold = "{{gold}}"
                metrics = [{name = acc}, {name = acc_norm}]
                sources = [{format = multiple-choice, files = ["probe/%s"]}]
                """.formatted(file);
        return "# Generated by ablate from held-out text: " + header + ".\nname = " + name + "\nversion = 0\nharness = \"ablate probe\"\n"
                + "split = test\n" + body;
    }

    private static void writeLines(Path file, List<ObjectNode> records) throws IOException {
        Files.createDirectories(file.getParent());
        StringBuilder text = new StringBuilder();
        for (ObjectNode r : records) {
            text.append(JSON.writeValueAsString(r)).append('\n');
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
