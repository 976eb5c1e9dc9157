package ablate.evaluator.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.evaluator.scoring.Item;
import ablate.evaluator.scoring.PyRandom;
import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.Response;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shipped task on its fixture (src/test/resources/tasks/data, laid out like a user's
 * --data-dir): the exact prompt and continuations, hand-derived from the harness's code.
 */
class FixturePromptsTest {

    private static Path data;
    private static Path originals;
    private static TaskRegistry registry;

    @BeforeAll
    static void load() throws URISyntaxException {
        Path root = Path.of(FixturePromptsTest.class.getResource("/tasks").toURI());
        data = root.resolve("data");
        originals = root.resolve("originals");
        registry = TaskRegistry.load(List.of(root.resolve("defs")));
    }

    static Stream<Arguments> prompts() {
        return Stream.of(
                Arguments.of("arc_easy", 0, "Question: Which factor will most likely cause a person to develop a fever?\nAnswer:",
                        List.of(" a leg muscle relaxing after exercise", " a bacterial population in the bloodstream", " several viral particles on the skin", " carbohydrates being digested in the stomach"), 1),
                Arguments.of("arc_challenge", 1, "Question: Which is a renewable resource?\nAnswer:", List.of(" coal", " oil", " wind", " natural gas"), 2),
                Arguments.of("boolq", 0, "Ethanol fuel -- All biomass goes through at least some of these steps.\nQuestion: does ethanol take more energy make that produces?\nAnswer:", List.of(" no", " yes"), 0),
                Arguments.of("copa", 0, "The man turned on the faucet therefore", List.of(" the toilet filled with water.", " water flowed from the spout."), 1),
                Arguments.of("copa", 1, "My body cast a shadow over the grass because", List.of(" the sun was rising.", " the grass was cut."), 0),
                Arguments.of("headqa", 0, "Question: Which cell organelle produces ATP?\nAnswer:", List.of(" Ribosome", " Mitochondrion", " Golgi apparatus", " Lysosome"), 1),
                Arguments.of("hellaswag", 0, "Roof shingle removal: A man is sitting on a roof. He",
                        List.of(" is using wrap to wrap a pair of skis.", " is ripping level tiles off.", " is holding a rubik's cube.", " starts pulling up roofing on a roof."), 3),
                Arguments.of("hellaswag", 1, "Personal Care and Style: How to dye your hair. Pick a color.",
                        List.of("  Choose a shade close to your own.. Mix the dye.", " Buy a hat.", " Cut it short.", " Wash it twice."), 0),
                Arguments.of("lambada", 0, "\"Figured if you're going to be out at night getting hit by cars, you might as well have some backup.\"\n\nI look at him, feeling stunned. But I don't care about",
                        List.of(" signs"), -1),
                Arguments.of("logiqa", 1, "Passage: The company sent three staff members. They sat in a row.\nQuestion: So what are the three young people on business?\nChoices:\n"
                        + "A. 20-year-old accountant\nB. 24-year-old salesperson\nC. 20-year-old salesperson\nD. 24-year-old accountant\nAnswer:",
                        List.of(" 20-year-old accountant", " 24-year-old salesperson", " 20-year-old salesperson", " 24-year-old accountant"), 2),
                Arguments.of("mathqa", 0, "Question: a shopkeeper sold an article offering a discount of 5 % and earned a profit of 31.1 % . what would have been the percentage of profit earned if no discount had been offered ?\nAnswer:",
                        List.of(" 38", " 27.675", " 30", " data inadequate", " none of these"), 0),
                Arguments.of("mc_taco", 0, "Sam went to the market.\nQuestion: How long did the trip take?\nAnswer: an hour\nPlausible:", List.of(" no", " yes"), 1),
                Arguments.of("mrpc", 0, "Sentence 1: He said the foodservice pie business doesn't fit the company's long-term growth strategy.\n"
                        + "Sentence 2: \"The foodservice pie business does not fit our long-term growth strategy.\nQuestion: Do both sentences mean the same thing?\nAnswer:", List.of(" no", " yes"), 1),
                Arguments.of("multirc", 0, "Sam went to the market. He bought apples.\nQuestion: What did Sam buy?\nAnswer:",
                        List.of(" Apples\nIs the answer correct? no", " Apples\nIs the answer correct? yes"), 1),
                Arguments.of("openbookqa", 0, "A person wants to start saving money so that they can afford a nice vacation at the end of the year. After looking over their budget and expenses, they decide the best way to save money is to",
                        List.of(" make more phone calls", " quit eating lunch out", " buy less with monopoly money", " have lunch with friends"), 1),
                Arguments.of("piqa", 0, "Question: dresser\nAnswer:", List.of(" replace drawer with bobby pin ", " finish, woodgrain with  bobby pin "), 1),
                Arguments.of("prost", 0, "A person drops a glass, a pillow, a coin, and a pen from a balcony.\nQuestion: Which object is the most likely to break?\nAnswer:",
                        List.of(" glass", " pillow", " coin", " pen"), 0),
                Arguments.of("pubmedqa", 0, "Abstract: Programmed cell death (PCD) is the regulated death of cells.\nThe following paper elucidates the role of mitochondrial dynamics.\n"
                        + "Question: Do mitochondria play a role in remodelling lace plant leaves during programmed cell death?\nAnswer:", List.of(" yes", " no", " maybe"), 0),
                Arguments.of("qnli", 0, "What came into force after the new constitution was herald?\nAs of that day, the new constitution heralding the Second Republic came into force.\n"
                        + "Question: Does this response answer the question?\nAnswer:", List.of(" yes", " no"), 0),
                Arguments.of("qqp", 0, "Question 1: Why are African-Americans so beautiful?\nQuestion 2: Why are hispanics so beautiful?\nQuestion: Do both questions ask the same thing?\nAnswer:", List.of(" no", " yes"), 0),
                Arguments.of("race", 0, "Article: Tom lives in a small town. He likes reading.\n\nQuestion: Where does Tom live?\nAnswer: In a small town\n _  .reading\nWhat is the best title?",
                        List.of(" Tom", " A City", " Sports", " Music"), 0),
                Arguments.of("race", 1, "Article: The sun is a star.\n\nThe sun is a  _  .", List.of(" planet", " moon", " comet", " star"), 3),
                Arguments.of("rte", 0, "Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44, according to the Christopher Reeve Foundation.\nQuestion: Christopher Reeve had an accident. True or False?\nAnswer:", List.of(" True", " False"), 1),
                Arguments.of("sciq", 0, "Mesophiles grow best in moderate temperature. \nQuestion: What type of organism is commonly used in preparation of foods such as cheese and yogurt?\nAnswer:",
                        List.of(" protozoa", " gymnosperms", " viruses", " mesophilic organisms"), 3),
                Arguments.of("sciq", 1, "Question: What is the least dangerous radioactive decay?\nAnswer:", List.of(" beta decay", " gamma decay", " zeta decay", " alpha decay"), 3),
                Arguments.of("sst", 0, "it's a charming and often affecting journey. \nQuestion: Is this sentence positive or negative?\nAnswer:", List.of(" negative", " positive"), 1),
                Arguments.of("triviaqa", 0, "Question: What type of animal is a dik-dik?\nAnswer:", List.of(" Antelope", " Antilopina", " Hybrid antelope"), -1),
                Arguments.of("webqs", 0, "Question: what does jamaican people speak?\nAnswer:", List.of(" Jamaican Creole English Language", " Jamaican English"), -1),
                Arguments.of("wic", 0, "Sentence 1: Do you want to come over to my place later?\nSentence 2: A political system with no place for the less prominent groups.\n"
                        + "Question: Is the word 'place' used in the same way in the two sentences above?\nAnswer:", List.of(" no", " yes"), 0),
                Arguments.of("wnli", 0, "The drain is clogged with hair. It has to be cleaned.\nQuestion: The hair has to be cleaned. True or False?\nAnswer:", List.of(" False", " True"), 0),
                Arguments.of("wsc", 0, "Passage: Mark told Pete many lies about himself, which Pete included in his book. *He* should have been more skeptical.\n"
                        + "Question: In the passage above, does the pronoun \"*He*\" refer to \"*Mark*\"?\nAnswer:", List.of(" no", " yes"), 0),
                Arguments.of("my_mc", 0, "Question: Which gas do plants absorb?\nAnswer:", List.of(" oxygen", " carbon dioxide", " helium"), 1),
                Arguments.of("my_cloze", 0, "The capital of France is", List.of(" Paris"), -1));
    }

    @ParameterizedTest(name = "{0}[{1}]")
    @MethodSource("prompts")
    void promptsAreTheHarnessStrings(String task, int doc, String text, List<String> continuations, int gold) throws TaskDataException {
        Task t = registry.resolve(task).getFirst();
        Path dir = task.startsWith("my_") ? originals : data;
        Task.Data d = t.documents(dir);
        assertThat(d.source().harnessExact()).isTrue();
        Document document = d.documents().get(doc);
        assertThat(t.text(document)).isEqualTo(text);
        List<Request> requests = t.requests(document, t.text(document));
        assertThat(requests).allSatisfy(r -> assertThat(((Request.LogLikelihood) r).context()).isEqualTo(text));
        assertThat(requests).extracting(r -> ((Request.LogLikelihood) r).continuation()).containsExactlyElementsOf(continuations);
        if (gold >= 0) assertThat(t.gold(document).intValue()).isEqualTo(gold);
    }

    @Test
    void winograndeScoresTheRemainderAfterEachPartialContext() throws TaskDataException {
        Task t = registry.resolve("winogrande").getFirst();
        Document doc = t.documents(data).documents().getFirst();
        assertThat(t.text(doc)).isEqualTo("Sarah was a much better surgeon than Maria so Sarah");
        assertThat(t.target(doc)).isEqualTo(" always got the harder cases.");
        assertThat(t.requests(doc, "Earlier example. always\n\n" + t.text(doc))).containsExactly(
                new Request.LogLikelihood("Earlier example. always\n\nSarah was a much better surgeon than Maria so Sarah", " always got the harder cases."),
                new Request.LogLikelihood("Earlier example. always\n\nSarah was a much better surgeon than Maria so Maria", " always got the harder cases."));
        var score = t.score(doc, List.of(new Response.LogLikelihood(-3, false, 5), new Response.LogLikelihood(-2, false, 5)));
        assertThat(score).containsExactly(Map.entry("acc", new Item.Value(0.0)));
    }

    @Test
    void wikitextScoresDetokenizedArticlesAndCountsTheOriginal() throws TaskDataException {
        Task t = registry.resolve("wikitext").getFirst();
        List<Document> docs = t.documents(data).documents();
        assertThat(docs).hasSize(2);
        assertThat(t.requests(docs.getFirst(), "")).containsExactly(new Request.Rolling(
                " = Robert Boulter =\n\nRobert Boulter is an English film, television and theatre actor. He had a guest-starring role in 2000.\n\n== Career ==\n\nHe earned 1,000 pounds.\n"));
        assertThat(t.score(docs.getFirst(), List.of(new Response.Rolling(-100, 40)))).containsExactly(
                Map.entry("word_perplexity", new Item.Weighted(-100, 40)),
                Map.entry("byte_perplexity", new Item.Weighted(-100, 188)),
                Map.entry("bits_per_byte", new Item.Weighted(-100, 188)));
        assertThat(t.requests(docs.get(1), "")).containsExactly(new Request.Rolling(" = Du Fu =\n\nDu Fu (712 – 770) was a Chinese poet.\n"));
    }

    @Test
    void originalFormatsGiveTheSamePromptsAsTheHuggingFaceExports() throws TaskDataException {
        for (String task : List.of("piqa", "pubmedqa", "webqs", "wsc", "rte")) {
            Task t = registry.resolve(task).getFirst();
            Document fromHf = t.documents(data).documents().getFirst();
            Task.Data orig = t.documents(originals);
            assertThat(orig.source().files().getFirst()).doesNotStartWith("hf/");
            Document fromOriginal = orig.documents().stream().filter(d -> t.text(d).equals(t.text(fromHf))).findFirst().orElseThrow();
            assertThat(t.requests(fromOriginal, "ctx")).as(task).isEqualTo(t.requests(fromHf, "ctx"));
            assertThat(t.gold(fromOriginal)).as(task).isEqualTo(t.gold(fromHf));
        }
    }

    @Test
    void hellaswagFromKlosaxTextIsMarkedNotHarnessExact() throws TaskDataException {
        Task t = registry.resolve("hellaswag").getFirst();
        Task.Data d = t.documents(originals);
        assertThat(d.source().harnessExact()).isFalse();
        assertThat(d.describe()).contains("NOT harness-exact").contains("ctx_b.capitalize()");
        assertThat(t.text(d.documents().getFirst())).isEqualTo("Roof shingle removal: A man is sitting on a roof. he");
    }

    @Test
    void multipleChoiceScoresAccAccNormAndGroups() throws TaskDataException {
        Task mc = registry.resolve("my_mc").getFirst();
        Document doc = mc.documents(originals).documents().getFirst();
        // oxygen (6 chars) -6 -> -1.0/char; carbon dioxide (14) -7 -> -0.5/char; helium (6) -5.
        var items = mc.score(doc, List.of(new Response.LogLikelihood(-6, false, 1), new Response.LogLikelihood(-7, false, 2), new Response.LogLikelihood(-5, false, 2)));
        assertThat(items).containsExactly(Map.entry("acc", new Item.Value(0.0)), Map.entry("acc_norm", new Item.Value(1.0)));
        Task taco = registry.resolve("mc_taco").getFirst();
        Document d = taco.documents(data).documents().getFirst();
        assertThat(taco.score(d, List.of(new Response.LogLikelihood(-1, false, 1), new Response.LogLikelihood(-1, false, 1)))).containsExactly(
                Map.entry("em", new Item.Grouped("Sam went to the market. How long did the trip take?", "Sam went to the market. How long did the trip take?", false)),
                Map.entry("f1", new Item.GroupedPair("Sam went to the market. How long did the trip take?", 1, 0)));
    }

    @Test
    void aliasGreedyIsRightWhenAnyAliasIsGreedy() throws TaskDataException {
        Task t = registry.resolve("triviaqa").getFirst();
        Document doc = t.documents(data).documents().getFirst();
        assertThat(t.target(doc)).isEqualTo(" Antelope");
        var items = t.score(doc, List.of(new Response.LogLikelihood(-9, false, 1), new Response.LogLikelihood(-9, true, 3), new Response.LogLikelihood(-9, false, 3)));
        assertThat(items).containsExactly(Map.entry("acc", new Item.Value(1.0)));
    }

    @Test
    void fewShotContextJoinsSampledExamplesAsTheHarness() throws TaskDataException {
        Task t = registry.resolve("arc_easy").getFirst();
        List<Document> docs = t.documents(data).documents();
        String ctx = t.context(docs.getFirst(), docs, 1, new PyRandom(1234));
        assertThat(ctx).isEqualTo("Question: Which is a renewable resource?\nAnswer: wind\n\n"
                + "Question: Which factor will most likely cause a person to develop a fever?\nAnswer:");
        assertThat(t.context(docs.getFirst(), docs, 0, new PyRandom(1234))).isEqualTo(t.text(docs.getFirst()));
    }

    /** GLUE's RTE as the 2022 harness reads it, from each of its layouts: the same documents, quote marks kept. */
    @Test
    void rteReadsGlueFromItsHuggingFaceExportItsTsvAndGluesOwnFileAlike() throws TaskDataException {
        Task rte = registry.resolve("rte").getFirst();
        Task.Data hf = rte.documents(data);
        Task.Data own = rte.documents(data.resolveSibling("glue")); // GLUE's release: RTE/dev.tsv, labels as words
        assertThat(hf.source().files()).containsExactly("hf/glue/rte/validation.jsonl");
        assertThat(hf.source().harnessExact()).isTrue();
        Task.Data exported = rte.documents(originals); // glue_rte/dev.tsv as pandas writes it, before RTE/dev.tsv
        assertThat(exported.source().files()).containsExactly("glue_rte/dev.tsv");
        assertThat(own.source().files()).containsExactly("RTE/dev.tsv");
        for (Task.Data d : List.of(hf, exported, own)) {
            Document osbournes = d.documents().get(1);
            assertThat(rte.text(osbournes)).endsWith("\nQuestion: \"The Osbournes\" is the name of a reality show starring Ozzy Osbourne."
                    + " True or False?\nAnswer:");
            assertThat(rte.gold(osbournes).intValue()).isZero();
            assertThat(rte.gold(d.documents().get(0)).intValue()).isEqualTo(1);
        }
    }
}
