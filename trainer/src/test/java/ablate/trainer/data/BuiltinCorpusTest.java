package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class BuiltinCorpusTest {

    @Test
    void sameSeedAndIndexAlwaysGiveTheSameText() {
        for (long index = 0; index < 50; index++) {
            assertThat(BuiltinCorpus.document(42, index)).isEqualTo(BuiltinCorpus.document(42, index));
        }
        // Pinned, so that a change to the generator, which changes every built-in ablation, is deliberate.
        assertThat(BuiltinCorpus.document(0, 0)).startsWith(
                "Leo has eight trees. Laura gives him one more. Now Leo has nine trees. Reverse: zero, zero, bird, door.");
    }

    @Test
    void differentSeedsAndIndicesGiveDifferentText() {
        assertThat(BuiltinCorpus.document(1, 0)).isNotEqualTo(BuiltinCorpus.document(2, 0));
        Set<String> distinct = new HashSet<>();
        for (long index = 0; index < 200; index++) {
            distinct.add(BuiltinCorpus.document(1, index));
        }
        assertThat(distinct).hasSize(200);
    }

    @Test
    void documentsAreAFewHundredCharactersOfAFewHundredWords() {
        Set<String> words = new HashSet<>();
        for (long index = 0; index < 2000; index++) {
            String doc = BuiltinCorpus.document(3, index);
            assertThat(doc.length()).isBetween(200, 900);
            for (String word : doc.toLowerCase().split("[^a-z]+")) {
                if (!word.isEmpty()) {
                    words.add(word);
                }
            }
        }
        assertThat(words.size()).isBetween(200, 500);
    }

    @Test
    void textCarriesPositionalStructure() {
        String all = String.join(" ", LongStream.range(0, 300)
                .mapToObj(i -> BuiltinCorpus.document(5, i)).toList());
        assertThat(all).contains("List: ", ". Again: ", "Reverse: ", ". Result: ", "First the ", ", second the ", "Count from ",
                " plus ", " gives ");
        assertThat(all).containsPattern("[Tt]he \\w+ \\w+ the \\w+ \\w+ (is|are|was|were|has|have) ");
    }

    @Test
    void pluralSubjectsTakePluralVerbsAcrossInterveningPhrases() {
        int checked = 0;
        var pattern = Pattern.compile("(?:^|\\. )The (keys|key) (?:to|of|near|behind|under|beside|with|from) "
                + "the \\w+ \\w+ (?:that the \\w+ \\w+ )?(is|are|was|were|has|have)");
        for (long index = 0; index < 3000; index++) {
            var m = pattern.matcher(BuiltinCorpus.document(11, index));
            while (m.find()) {
                boolean plural = m.group(1).equals("keys");
                assertThat(Set.of("are", "were", "have").contains(m.group(2))).as(m.group()).isEqualTo(plural);
                checked++;
            }
        }
        assertThat(checked).isPositive();
    }

    @Test
    void buildAppendsEosAfterEveryDocumentAndKeepsValidationDisjoint() {
        Tokenizer tok = new ByteTokenizer();
        Corpus corpus = BuiltinCorpus.build(9, 20, 5, tok);
        var train = TestData.documents(TestData.all(corpus.train()), tok);
        var val = TestData.documents(TestData.all(corpus.val()), tok);
        assertThat(train).hasSize(20).startsWith(BuiltinCorpus.document(9, 0));
        assertThat(val).hasSize(5).doesNotContainAnyElementsOf(train);
        assertThat(TestData.all(corpus.val())).endsWith(ByteTokenizer.EOS);
        assertThat(TestData.all(BuiltinCorpus.build(9, 20, 5, tok).train())).isEqualTo(TestData.all(corpus.train()));
    }
}
