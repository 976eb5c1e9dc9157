package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsTextOfTheFixtureVocabulary() {
        try (Tokenizer tokenizer = Tokenizers.load(TestData.tokenizerFixture(dir).toString())) {
            int[] ids = tokenizer.encode("the quick brown fox jumps over the lazy dog .");
            assertThat(ids).hasSize(10).doesNotContain(0);
            assertThat(tokenizer.decode(ids)).isEqualTo("the quick brown fox jumps over the lazy dog .");
        }
    }

    @Test
    void addsNoSpecialTokensAlthoughThePostProcessorWould() {
        try (Tokenizer tokenizer = Tokenizers.load(TestData.tokenizerFixture(dir).toString())) {
            assertThat(tokenizer.encode("hello world")).containsExactly(24, 25);
        }
    }

    @Test
    void readsVocabSizeAndEosFromTheJson() {
        try (Tokenizer tokenizer = Tokenizers.load(TestData.tokenizerFixture(dir).toString())) {
            assertThat(tokenizer.vocabSize()).isEqualTo(34);
            assertThat(tokenizer.eosId()).isEqualTo(1);
            assertThat(tokenizer.decode(new int[] {24, 1, 25})).isEqualTo("hello world");
        }
    }

    @Test
    void loadsFromTheDirectoryHoldingTokenizerJson() {
        Path file = TestData.tokenizerFixture(dir);
        try (Tokenizer tokenizer = Tokenizers.load(file.getParent().toString())) {
            assertThat(tokenizer.spec()).isEqualTo(file.getParent().toString());
            assertThat(tokenizer.encode("cat")).containsExactly(4);
        }
    }

    @Test
    void missingPathFailsNamingIt() {
        Path missing = dir.resolve("nope/tokenizer.json");
        assertThatThrownBy(() -> Tokenizers.load(missing.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void directoryWithoutTokenizerJsonFailsNamingIt() {
        assertThatThrownBy(() -> Tokenizers.load(dir.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("tokenizer.json");
    }

    @Test
    void tokenizerWithoutAnEndTokenFailsNamingIt() throws IOException {
        Path file = TestData.tokenizerFixture(dir);
        Files.writeString(file, Files.readString(file).replace("<|endoftext|>", "<|sep|>"));
        assertThatThrownBy(() -> Tokenizers.load(file.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("<|endoftext|>");
    }

    @Test
    void unreadableJsonFailsNamingIt() throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"), "{ not json");
        assertThatThrownBy(() -> Tokenizers.load(file.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString());
    }
}
