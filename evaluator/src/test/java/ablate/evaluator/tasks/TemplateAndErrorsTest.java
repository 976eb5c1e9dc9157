package ablate.evaluator.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The template language and the harness helpers on edge cases; bad files and bad data named precisely. */
class TemplateAndErrorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String render(String template, String json) throws IOException {
        return Template.parse(template).render((ObjectNode) JSON.readTree(json));
    }

    @Test
    void generalDetokenizeFixesContractionsBracketsQuotesAndPunctuation() {
        assertThat(HarnessText.generalDetokenize("it does n't ( really ) say \" hi \" , ok . it 's"))
                .isEqualTo("it doesn't (really) say\"hi\", ok. it's");
    }

    @Test
    void hellaswagPreprocessTurnsTitlesIntoSentencesAndDropsTags() {
        assertThat(HarnessText.hellaswagPreprocess("  [header] How to x [title] Do y. [step] z  ")).isEqualTo(" How to x. Do y. z"); // stripped before the tags go, as in the harness
        assertThat(HarnessText.hellaswagPreprocess("a   b")).isEqualTo("a  b");
    }

    @Test
    void capitalizeHasPythonSemantics() {
        assertThat(PythonStrings.capitalize("the Blue SKY")).isEqualTo("The blue sky");
        assertThat(PythonStrings.capitalize("ßtraße")).isEqualTo("Sstraße");
        assertThat(PythonStrings.capitalize("")).isEmpty();
        assertThat(PythonStrings.capitalize("ǆemal")).isEqualTo("ǅemal");
        assertThat(PythonStrings.lowerFirst("I ate.")).isEqualTo("i ate.");
    }

    @Test
    void slicingAndWhitespaceCountInCodePoints() {
        assertThat(PythonStrings.slice("a😀bc", 1, 3)).isEqualTo("😀b");
        assertThat(PythonStrings.slice("premise.", 0, -1)).isEqualTo("premise");
        assertThat(PythonStrings.reSplitWhitespaceCount(" a  b\u00a0c ")).isEqualTo(5);
        assertThat(PythonStrings.strip("\u3000x\u2003", null, true, true)).isEqualTo("x");
    }

    @Test
    void removePrefixesSortsByCodePointAndKeepsNonPrefixes() {
        assertThat(HarnessText.removePrefixes(List.of("Onions", "Onion", "Allium cepa", "Onion set"))).containsExactly("Allium cepa", "Onion");
        assertThat(HarnessText.removePrefixes(List.of("\uFF21", "\uD83D\uDE00"))).containsExactly("\uFF21", "\uD83D\uDE00");
    }

    @Test
    void mathqaOptionsAndWscMarkingFollowTheHarness() {
        assertThat(HarnessText.mathqaOptions("a ) 1 , b ) 2 , c ) rs . 3 , d ) 4 , e ) none")).containsExactly("1", "2", "rs . 3", "4", "none");
        assertThat(HarnessText.wscMarkedPassage("The cat sat . It purred .", 4, "It")).isEqualTo("The cat sat. *It* purred.");
    }

    @Test
    void templatesInterpolatePathsFiltersAndLiterals() throws IOException {
        String doc = "{\"a\": {\"b\": [\"x\", \"y\"]}, \"n\": 2, \"t\": true, \"s\": \"Hello world\"}";
        assertThat(render("{{a.b | join('\\n')}}|{{a.b[-1]}}|{{n | add(-1)}}|{{t}}", doc)).isEqualTo("x\ny|y|1|True");
        assertThat(render("{{s | after_last(' ')}} {{s | before_first(' ') | lower}} {{'k' | map({'k':'v'})}}", doc)).isEqualTo("world hello v");
        assertThat(Template.parse("{{a.b}}").evaluate(JSON.readTree(doc), java.util.Map.of()).isArray()).isTrue();
    }

    @Test
    void templateMistakesAreReportedWithSuggestions() {
        assertThatThrownBy(() -> Template.parse("{{x | gneral_detokenize}}")).hasMessageContaining("did you mean 'general_detokenize'");
        assertThatThrownBy(() -> Template.parse("{{x")).hasMessageContaining("never closed");
        assertThatThrownBy(() -> render("{{missing}}", "{\"present\": 1}")).hasMessageContaining("no field 'missing'").hasMessageContaining("[present]");
    }

    @Test
    void unknownKeysInATaskFileNameFileLineAndSuggest(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.conf");
        Files.writeString(f, "name = bad\nversion = 0\nharness = x\nsplit = test\nkind = cloze\ntext = \"{{a}}\"\ntraget = \"{{b}}\"\n"
                + "metrics = [{name = acc}]\nsources = [{format = cloze, files = [x.jsonl]}]\n");
        assertThatThrownBy(() -> TaskRegistry.load(List.of(f))).isInstanceOf(TaskDefinitionException.class)
                .hasMessageContaining("bad.conf:7").hasMessageContaining("traget").hasMessageContaining("did you mean 'target'");
        Files.writeString(f, "name = bad\nversion = 0\nharness = x\nsplit = test\nkind = clozee\n");
        assertThatThrownBy(() -> TaskRegistry.load(List.of(f))).hasMessageContaining("bad.conf:5").hasMessageContaining("did you mean 'cloze'");
    }

    @Test
    void unknownTaskNamesGetSuggestionsAndAliasesResolve() {
        TaskRegistry r = TaskRegistry.builtIn();
        assertThat(r.resolve("headqa").getFirst().name()).isEqualTo("headqa_en");
        // the 2022 harness called LAMBADA lambada (v0.2.0) and lambada_openai (v0.3.0): the same task, reported as asked
        assertThat(r.resolve("lambada,lambada_openai")).extracting(Task::name).containsExactly("lambada", "lambada_openai");
        assertThat(r.resolve("lambada_openai").getFirst().metrics()).isEqualTo(r.resolve("lambada").getFirst().metrics());
        assertThat(r.resolve("all")).hasSize(29);
        assertThatThrownBy(() -> r.resolve("piqa,hellaswg")).hasMessageContaining("'hellaswg'; did you mean 'hellaswag'?");
    }

    @Test
    void theIndexListsEveryTaskFile() throws IOException {
        Path folder = Path.of("../conf/tasks");
        List<String> files;
        try (var s = Files.list(folder)) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf") && !n.equals("index.conf")).map(n -> n.replace(".conf", "")).sorted().toList();
        }
        assertThat(TaskRegistry.builtIn().all().stream().map(Task::name).sorted().toList()).isEqualTo(files);
    }

    @Test
    void malformedDataNamesFileAndLine(@TempDir Path dir) throws IOException {
        TaskRegistry r = TaskRegistry.builtIn();
        Files.createDirectories(dir.resolve("piqa"));
        Files.writeString(dir.resolve("piqa/valid.jsonl"), "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n");
        Files.writeString(dir.resolve("piqa/valid-labels.lst"), "0\n2\n");
        assertThatThrownBy(() -> r.resolve("piqa").getFirst().documents(dir)).isInstanceOf(TaskDataException.class)
                .hasMessageContaining("valid-labels.lst:2").hasMessageContaining("expected a label 0 or 1");
        Files.createDirectories(dir.resolve("arc"));
        Files.writeString(dir.resolve("arc/llmfoundry_arc_easy.jsonl"), "{\"query\": \"Question: q\", \"choices\": [\"a\"], \"gold\": 0}\n{\"query\": \"Q\", \"choices\": [\"a\"], \"gold\": 3}\n");
        assertThatThrownBy(() -> r.resolve("arc_easy").getFirst().documents(dir)).isInstanceOf(TaskDataException.class)
                .hasMessageContaining("llmfoundry_arc_easy.jsonl:2").hasMessageContaining("'gold' in 0..0");
        Files.writeString(dir.resolve("arc/llmfoundry_arc_easy.jsonl"), "{\"query\": \"Q: no prefix\", \"choices\": [\"a\"], \"gold\": 0}\n");
        assertThatThrownBy(() -> r.resolve("arc_easy").getFirst().documents(dir)).isInstanceOf(TaskDataException.class)
                .hasMessageContaining("llmfoundry_arc_easy.jsonl:1").hasMessageContaining("does not match");
        Files.createDirectories(dir.resolve("logiqa"));
        Files.writeString(dir.resolve("logiqa/Test.txt"), "\na\nctx\nq\nA.1\nB.2\nC.3\nD.4\n\nz\nctx\nq\nA.1\nB.2\nC.3\nD.4\n");
        assertThatThrownBy(() -> r.resolve("logiqa").getFirst().documents(dir)).hasMessageContaining("Test.txt:10").hasMessageContaining("answer letter");
        assertThatThrownBy(() -> r.resolve("race").getFirst().documents(dir)).hasMessageContaining("no data for task race");
    }
}
