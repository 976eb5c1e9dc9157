package ablate.evaluator.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.trainer.data.ByteTokenizer;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HarnessEncodingTest {
    private final ByteTokenizer bytes = new ByteTokenizer();

    @Test
    void aTrailingSpaceMovesFromTheContextToTheContinuation() {
        TokenRequest r = HarnessEncoding.encodePair(bytes, "Answer: ", "yes");
        assertThat(r.context()).containsExactly(bytes.encode("Answer:"));
        assertThat(r.continuation()).containsExactly(bytes.encode(" yes"));
        TokenRequest plain = HarnessEncoding.encodePair(bytes, "Answer:", " yes");
        assertThat(plain).isEqualTo(r);
    }

    @Test
    void the2022RuleEncodesContextAndContinuationSeparatelyAndMovesNoSpace() {
        TokenRequest r = HarnessEncoding.Rule.HARNESS_2022.encode(bytes, "Answer: ", "yes");
        assertThat(r.context()).containsExactly(bytes.encode("Answer: "));
        assertThat(r.continuation()).containsExactly(bytes.encode("yes"));
        assertThat(HarnessEncoding.Rule.HARNESS_2022.encode(bytes, "", "Hello").context()).containsExactly(bytes.eosId());
        // without a trailing context space, bytes give the same tokens under both rules
        assertThat(HarnessEncoding.Rule.HARNESS_2022.encode(bytes, "Answer:", " yes"))
                .isEqualTo(HarnessEncoding.Rule.HARNESS_2023.encode(bytes, "Answer:", " yes"));
    }

    /**
     * A real byte-level BPE (GPT-2's first 3,000 merges, ops/hf/small_bpe.py): the rules differ when
     * the context ends in a space (2022 scores "yes" after a lone space token, 2023 scores " yes")
     * and when a word spans the boundary (2023 encodes the pair jointly, so "t|he world" loses "he").
     */
    @Test
    void onABpeTokenizerTheRulesDifferWhereTheHarnessVersionsDo() throws Exception {
        try (var bpe = ablate.trainer.data.Tokenizers.load(java.nio.file.Path.of(
                HarnessEncodingTest.class.getResource("/tokenizers/gpt2-3k/tokenizer.json").toURI()).toString())) {
            TokenRequest old = HarnessEncoding.Rule.HARNESS_2022.encode(bpe, "Answer: ", "yes");
            TokenRequest now = HarnessEncoding.Rule.HARNESS_2023.encode(bpe, "Answer: ", "yes");
            assertThat(bpe.decode(old.continuation())).isEqualTo("yes");
            assertThat(bpe.decode(now.continuation())).isEqualTo(" yes");
            assertThat(bpe.decode(old.context())).isEqualTo("Answer: ");
            assertThat(old.context()).hasSize(now.context().length + 1); // the lone space token
            assertThat(bpe.decode(now.context())).isEqualTo("Answer:");

            TokenRequest split2022 = HarnessEncoding.Rule.HARNESS_2022.encode(bpe, "in t", "he world");
            TokenRequest split2023 = HarnessEncoding.Rule.HARNESS_2023.encode(bpe, "in t", "he world");
            assertThat(bpe.decode(split2022.continuation())).isEqualTo("he world");
            assertThat(bpe.decode(split2023.continuation())).isEqualTo(" world");

            assertThat(HarnessEncoding.Rule.HARNESS_2022.encode(bpe, "The capital of France is", " Paris"))
                    .isEqualTo(HarnessEncoding.Rule.HARNESS_2023.encode(bpe, "The capital of France is", " Paris"));
        }
    }

    /** GPT-2's own tokenizer (../shared/data/tokenizers/gpt2), with its real ids. */
    @Test
    void onGpt2ItselfTheTrailingSpaceCaseHasTheseIds() {
        java.nio.file.Path gpt2 = java.nio.file.Path.of(System.getProperty("ablate.shared", "../../shared"), "data/tokenizers/gpt2/tokenizer.json");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(gpt2),
                "SKIPPED LOUDLY: GPT-2's tokenizer not found at " + gpt2.toAbsolutePath() + " (set -Dablate.shared)");
        try (var tok = ablate.trainer.data.Tokenizers.load(gpt2.toString())) {
            TokenRequest old = HarnessEncoding.Rule.HARNESS_2022.encode(tok, "Answer: ", "yes");
            TokenRequest now = HarnessEncoding.Rule.HARNESS_2023.encode(tok, "Answer: ", "yes");
            assertThat(old.context()).containsExactly(33706, 25, 220);
            assertThat(old.continuation()).containsExactly(8505);
            assertThat(now.context()).containsExactly(33706, 25);
            assertThat(now.continuation()).containsExactly(3763);
        }
    }

    @Test
    void anEmptyContextBecomesTheEndOfTextToken() {
        TokenRequest r = HarnessEncoding.encodePair(bytes, "", "Hello");
        assertThat(r.context()).containsExactly(bytes.eosId());
        assertThat(r.continuation()).containsExactly(bytes.encode("Hello"));
    }

    /**
     * The harness's own example (tests/test_utils.py, test_get_rolling_token_windows_v1): tokens
     * 0..33, max length 10, context length 1, prefix -100; here after make_disjoint_window.
     */
    @Test
    void rollingWindowsPredictEveryTokenOnceWithTheLongestContextThatFits() {
        int[] tokens = IntStream.range(0, 34).toArray();
        List<TokenRequest> windows = HarnessEncoding.rollingWindows(tokens, -100, 10, 1);
        assertThat(windows).containsExactly(
                new TokenRequest(new int[] {-100}, range(0, 10)),
                new TokenRequest(new int[] {9}, range(10, 20)),
                new TokenRequest(new int[] {19}, range(20, 30)),
                new TokenRequest(range(23, 30), range(30, 34)));
    }

    /** Context length 8 (the harness's v2 example shape): each window predicts max - ctx + 1 = 3 tokens. */
    @Test
    void longerContextsPredictFewerTokensPerWindow() {
        int[] tokens = IntStream.range(0, 16).toArray();
        List<TokenRequest> windows = HarnessEncoding.rollingWindows(tokens, -100, 10, 8);
        // first window: [-100, 0..8] -> [0..9]; then windows of 3 predictions each, context = the 8 tokens before them
        assertThat(windows.getFirst()).isEqualTo(new TokenRequest(new int[] {-100}, range(0, 10)));
        assertThat(windows.get(1)).isEqualTo(new TokenRequest(range(2, 10), range(10, 13)));
        assertThat(windows.get(2)).isEqualTo(new TokenRequest(range(5, 13), range(13, 16)));
        assertThat(windows).hasSize(3);
        assertThat(windows.stream().mapToInt(w -> w.continuation().length).sum()).isEqualTo(16);
    }

    @Test
    void aShortDocumentIsOneWindow() {
        assertThat(HarnessEncoding.rollingWindows(new int[] {5, 6, 7}, 256, 10, 1))
                .containsExactly(new TokenRequest(new int[] {256}, new int[] {5, 6, 7}));
        assertThat(HarnessEncoding.rollingWindows(new int[0], 256, 10, 1)).isEmpty();
    }

    private static int[] range(int from, int to) {
        return IntStream.range(from, to).toArray();
    }
}
