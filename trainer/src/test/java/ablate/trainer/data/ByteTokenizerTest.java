package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {

    private final Tokenizer tokenizer = Tokenizers.load("byte");

    @ParameterizedTest
    @ValueSource(strings = {"", "hello", "café naïve Zürich", "emoji \uD83D\uDE00 and tabs\t\r\n", "日本語"})
    void roundTripsAnyText(String text) {
        assertThat(tokenizer.decode(tokenizer.encode(text))).isEqualTo(text);
    }

    @Test
    void idsAreTheUtf8Bytes() {
        assertThat(tokenizer.encode("aé")).containsExactly(0x61, 0xC3, 0xA9);
        assertThat(tokenizer.vocabSize()).isEqualTo(257);
        assertThat(tokenizer.eosId()).isEqualTo(256);
        assertThat(tokenizer.spec()).isEqualTo("byte");
    }

    @Test
    void decodeSkipsEosAndReplacesBrokenCharacters() {
        assertThat(tokenizer.decode(new int[] {0x61, 256, 0x62})).isEqualTo("ab");
        assertThat(tokenizer.decode(new int[] {0x61, 0xC3})).isEqualTo("a\uFFFD");
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        assertThatThrownBy(() -> tokenizer.decode(new int[] {257}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("257");
    }
}
