package ablate.evaluator.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ablate.evaluator.scoring.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The shipped tasks on the real files in ../shared/data (see its MANIFEST.md): document counts and
 * a few prompts checked by hand against the harness's code. A user's clone has no ../shared, so
 * these skip, loudly, naming the missing path.
 */
class SharedDataTest {

    private static Path data;
    private static TaskRegistry registry;

    @BeforeAll
    static void locate() {
        String shared = System.getProperty("ablate.shared", "../../shared");
        data = Path.of(shared, "data");
        registry = TaskRegistry.builtIn();
    }

    /** Per test, so that each one is reported as skipped with the reason (a class-level assumption shows as 0 tests). */
    @BeforeEach
    void needsTheSharedData() {
        assumeTrue(Files.isDirectory(data), "SKIPPED LOUDLY: shared data not found at " + data.toAbsolutePath() + " (set -Dablate.shared)");
    }

    @ParameterizedTest(name = "{0}: {1} documents from {2}")
    @CsvSource({
            "piqa, 1838, piqa/valid.jsonl",
            "hellaswag, 10042, hellaswag/hellaswag_val_full.txt",
            "logiqa, 651, logiqa/Test.txt",
            "pubmedqa, 1000, pubmedqa/ori_pqal.json",
            "webqs, 2032, webquestions/test.json",
            "rte, 277, glue_rte/dev.tsv",
            "wsc, 104, superglue_wsc/val.jsonl",
            "arc_easy, 2376, arc/llmfoundry_arc_easy.jsonl",
            "arc_challenge, 1172, arc/llmfoundry_arc_challenge.jsonl",
            "lambada, 5153, lambada/llmfoundry_lambada_openai.jsonl",
            "boolq, 3270, boolq/llmfoundry_boolq.jsonl",
            "copa, 100, copa/llmfoundry_copa.jsonl",
            "openbookqa, 500, openbookqa/llmfoundry_openbook_qa.jsonl",
            "winogrande, 1267, winogrande/llmfoundry_winogrande.jsonl",
            "mathqa, 2983, mathqa/llmfoundry_math_qa.jsonl",
            "triviaqa, 3000, triviaqa/llmfoundry_triviaqa_sm_sub.jsonl",
            "wikitext, 62, wikitext-2/test.txt",
    })
    void readsTheManifestCounts(String task, int count, String file) throws TaskDataException {
        Task.Data d = registry.resolve(task).getFirst().documents(data);
        assertThat(d.documents()).hasSize(count);
        assertThat(d.source().files().getFirst()).isEqualTo(file);
        Task t = registry.resolve(task).getFirst();
        for (Document doc : d.documents()) {
            assertThat(t.requests(doc, t.text(doc))).isNotEmpty();
        }
    }

    @Test
    void piqaKeepsTheOriginalTrailingSpaces() throws TaskDataException {
        Task piqa = registry.resolve("piqa").getFirst();
        Document second = piqa.documents(data).documents().get(1);
        assertThat(piqa.text(second)).isEqualTo("Question: dresser\nAnswer:");
        assertThat(piqa.requests(second, piqa.text(second))).containsExactly(
                new Request.LogLikelihood("Question: dresser\nAnswer:", " replace drawer with bobby pin "),
                new Request.LogLikelihood("Question: dresser\nAnswer:", " finish, woodgrain with  bobby pin "));
        assertThat(piqa.gold(second).intValue()).isEqualTo(1);
    }

    @Test
    void copaFromLlmFoundryIsTheHarnessPrompt() throws TaskDataException {
        Task copa = registry.resolve("copa").getFirst();
        Document first = copa.documents(data).documents().getFirst();
        assertThat(copa.text(first)).isEqualTo("The man turned on the faucet therefore");
        assertThat(copa.requests(first, copa.text(first))).extracting(r -> ((Request.LogLikelihood) r).continuation())
                .containsExactly(" the toilet filled with water.", " water flowed from the spout.");
    }

    @Test
    void logiqaNormalizesAsTheDatasetScript() throws TaskDataException {
        Task logiqa = registry.resolve("logiqa").getFirst();
        Document first = logiqa.documents(data).documents().getFirst();
        String text = logiqa.text(first);
        assertThat(text).startsWith("Passage: In the planning of a new district in a township, it was decided to build a special community in the southeast, northwest, centered on the citizen park. These four communities");
        assertThat(text).endsWith("\nQuestion: Based on the above statement, which of the following can be derived?\nChoices:\n"
                + "A. Civic Park is north of the administrative service area\n"
                + "B. The leisure area is southwest of the cultural area\n"
                + "C. The cultural district is in the northeast of the business district\n"
                + "D. The business district is southeast of the leisure area\nAnswer:");
        assertThat(logiqa.gold(first).intValue()).isEqualTo(0);
    }

    @Test
    void wscMarksThePronounInTheSuperGlueFile() throws TaskDataException {
        Task wsc = registry.resolve("wsc").getFirst();
        Document first = wsc.documents(data).documents().getFirst();
        assertThat(wsc.text(first)).isEqualTo("Passage: Bernard, who had not told the government official that he was less than 21 when he filed for a homestead claim, did not consider that he had done anything dishonest. Still, anyone who knew that he was 19 years old could take his claim away from *him*.\n"
                + "Question: In the passage above, does the pronoun \"*him*\" refer to \"*anyone*\"?\nAnswer:");
        assertThat(wsc.gold(first).intValue()).isZero();
    }

    @Test
    void lambadaSplitsOffTheLastWord() throws TaskDataException {
        Task lambada = registry.resolve("lambada").getFirst();
        Document first = lambada.documents(data).documents().getFirst();
        assertThat(lambada.text(first)).endsWith("his mouth curved in a confident grin, I don't care about");
        assertThat(lambada.target(first)).isEqualTo(" signs");
        // rsplit(" ", 1) leaves newlines in the last "word"; llm-foundry's continuation keeps them too
        Document newlines = lambada.documents(data).documents().get(426);
        assertThat(lambada.text(newlines)).endsWith("And it certainly was some kind");
        assertThat(lambada.target(newlines)).isEqualTo(" of\n\nPower");
    }

    @Test
    void webqsRemovesAliasPrefixes() throws TaskDataException {
        Task webqs = registry.resolve("webqs").getFirst();
        Document first = webqs.documents(data).documents().getFirst();
        assertThat(webqs.text(first)).isEqualTo("Question: what does jamaican people speak?\nAnswer:");
        assertThat(webqs.requests(first, webqs.text(first))).extracting(r -> ((Request.LogLikelihood) r).continuation())
                .containsExactly(" Jamaican Creole English Language", " Jamaican English");
    }

    @Test
    void pubmedqaJoinsTheAbstractSections() throws TaskDataException {
        Task pubmedqa = registry.resolve("pubmedqa").getFirst();
        Document first = pubmedqa.documents(data).documents().getFirst();
        assertThat(pubmedqa.text(first)).startsWith("Abstract: Programmed cell death (PCD) is the regulated death of cells within an organism.")
                .contains("stopping approximately five cells from the vasculature. The role of mitochondria during PCD has been recognized in animals; however, it has been less studied during PCD in plants.\nThe following paper")
                .endsWith("\nQuestion: Do mitochondria play a role in remodelling lace plant leaves during programmed cell death?\nAnswer:");
        assertThat(pubmedqa.gold(first).intValue()).isZero();
    }

    @Test
    void sourcesThatAreNotHarnessExactSayWhy() throws TaskDataException {
        Map<String, Boolean> exact = Map.of("hellaswag", false, "mathqa", false, "triviaqa", false, "wikitext", false, "arc_easy", false,
                "arc_challenge", false, "piqa", true, "lambada", true, "openbookqa", true);
        for (var e : exact.entrySet()) {
            Task.Data d = registry.resolve(e.getKey()).getFirst().documents(data);
            assertThat(d.source().harnessExact()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(d.describe()).contains(e.getValue() ? "(harness-exact)" : "NOT harness-exact");
        }
        List<String> none = List.of("headqa_en", "mc_taco", "mrpc", "multirc", "prost", "qnli", "qqp", "race", "sciq", "sst", "wic", "wnli");
        for (String name : none) {
            Task t = registry.resolve(name).getFirst();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.documents(data))
                    .isInstanceOf(TaskDataException.class).hasMessageContaining("no data for task " + name);
        }
    }
}
