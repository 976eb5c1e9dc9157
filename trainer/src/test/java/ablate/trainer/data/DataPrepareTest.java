package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DataPrepareTest {

    @TempDir
    Path dir;

    private final Tokenizer bytes = new ByteTokenizer();

    private PrepareOptions options(Path input, String out) {
        return PrepareOptions.defaults(List.of(input), dir.resolve(out)).withValFraction(0).withThreads(2);
    }

    private static int[] train(Path out) {
        try (var corpus = PreparedCorpus.open(out)) {
            return TestData.all(corpus.train());
        }
    }

    /** A stopped earlier run's temporary folder is removed by the next run; a 21-million-character line is a document. */
    @Test
    void aKilledRunsLeftoversGoAndAVeryLongValidLineIsADocument() throws IOException {
        Path inputs = Files.createDirectories(dir.resolve("inputs"));
        String book = "a".repeat(21_000_000);
        Files.writeString(inputs.resolve("long.jsonl"), "{\"text\": \"" + book + "\"}\n{\"text\": \"short\"}\n");
        long gone = ProcessHandle.current().pid() + 1_000_000_000L; // no such process
        Path leftover = Files.createDirectories(dir.resolve(".out.tmp-" + gone + "-123/train"));
        Files.writeString(leftover.resolve("tokens.bin"), "half written");
        PrepareSummary summary = DataPrepare.run(options(inputs, "out"));
        assertThat(summary.documents()).isEqualTo(2);
        assertThat(summary.rejected().total()).isZero();
        assertThat(dir.resolve(".out.tmp-" + gone + "-123")).doesNotExist();
        assertThat(train(dir.resolve("out"))).hasSize(21_000_000 + 5 + 2); // two documents, each followed by EOS
    }

    @Test
    void readsTextJsonlGzipAndZstdInputsInPathOrder() throws IOException {
        Path inputs = dir.resolve("inputs");
        TestData.copyResource("docs/a.txt", inputs, "a.txt");
        TestData.copyResource("docs/b.jsonl", inputs, "b.jsonl");
        writeCompressed(inputs.resolve("c.jsonl.gz"), jsonl("gzip one", "gzip two"), GZIPOutputStream::new);
        writeCompressed(inputs.resolve("sub/d.jsonl.zst"), jsonl("zstd one"), ZstdOutputStream::new);
        writeCompressed(inputs.resolve("sub/e.txt.zst"), "a zstd text file\n", ZstdOutputStream::new);
        Files.writeString(inputs.resolve("notes.md"), "# not an input");

        PrepareSummary summary = DataPrepare.run(options(inputs, "out"));

        assertThat(TestData.documents(train(dir.resolve("out")), bytes)).containsExactly(
                TestData.resourceText("docs/a.txt"),
                "One line, one document.",
                "Escapes work too: été and a\nnewline.",
                "After a blank line, which is not a record.",
                "gzip one", "gzip two", "zstd one", "a zstd text file\n");
        assertThat(summary.documents()).isEqualTo(8);
        assertThat(summary.skippedFiles()).containsExactly(inputs.resolve("notes.md"));
        assertThat(summary.rejected().total()).isZero();
        assertThat(summary.render()).contains("8 documents").contains("notes.md");
    }

    @Test
    void writesIndexOffsetsAndCorpusJsonDescribingTheBins() throws IOException {
        Path input = TestData.copyResource("docs/b.jsonl", dir, "b.jsonl");
        PrepareSummary summary = DataPrepare.run(options(input, "out"));
        Path out = dir.resolve("out");

        long[] idx = TestData.readIdx(out.resolve("train.idx"));
        assertThat(idx).hasSize(4).startsWith(0L).endsWith(summary.train().tokens());
        int[] tokens = train(out);
        for (int d = 1; d < idx.length; d++) {
            assertThat(tokens[(int) idx[d] - 1]).isEqualTo(ByteTokenizer.EOS);
        }
        assertThat(Files.size(out.resolve("train.bin"))).isEqualTo(2 * summary.train().tokens());
        assertThat(TestData.readIdx(out.resolve("val.idx"))).containsExactly(0L);

        JsonNode corpus = new ObjectMapper().readTree(out.resolve("corpus.json").toFile());
        assertThat(corpus.get("format").asInt()).isEqualTo(1);
        assertThat(corpus.get("tokenizer").asText()).isEqualTo("byte");
        assertThat(corpus.get("vocabSize").asInt()).isEqualTo(257);
        assertThat(corpus.get("eosId").asInt()).isEqualTo(256);
        assertThat(corpus.get("dtype").asText()).isEqualTo("uint16");
        assertThat(corpus.at("/splits/train/documents").asLong()).isEqualTo(3);
        assertThat(corpus.at("/splits/train/tokens").asLong()).isEqualTo(summary.train().tokens());
        assertThat(corpus.get("inputs").get(0).asText()).isEqualTo(input.toString());

        JsonNode written = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertThat(written.get("documents").asLong()).isEqualTo(3);
        assertThat(written.has("seconds")).isTrue();
    }

    @Test
    void countsMalformedAndInvalidUtf8LinesWithFileAndLineSamples() throws IOException {
        Path inputs = dir.resolve("inputs");
        Path malformed = TestData.copyResource("bad/malformed.jsonl", inputs, "a-malformed.jsonl");
        Path invalid = inputs.resolve("b-invalid.jsonl");
        Files.write(invalid, concat("{\"text\": \"fine\"}\n", new byte[] {'{', '"', 't', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'},
                "{\"text\": \"also fine\"}\n"));
        Path text = inputs.resolve("c.txt");
        Files.write(text, concat("kept line\n", new byte[] {'x', (byte) 0xFF, '\n'}, "kept too\n"));

        PrepareSummary summary = DataPrepare.run(options(inputs, "out"));

        assertThat(summary.rejected().counts()).isEqualTo(Map.of("malformed JSON", 2L, "invalid UTF-8", 2L));
        assertThat(summary.rejected().samples()).hasSize(4);
        assertThat(summary.rejected().samples().get(0)).startsWith(malformed + ":2: malformed JSON");
        assertThat(summary.rejected().samples().get(1)).startsWith(malformed + ":3: malformed JSON");
        assertThat(summary.rejected().samples().get(2)).isEqualTo(invalid + ":2: invalid UTF-8");
        assertThat(summary.rejected().samples().get(3)).isEqualTo(text + ":2: invalid UTF-8");
        assertThat(TestData.documents(train(dir.resolve("out")), bytes))
                .containsExactly("a good line", "another good line", "fine", "also fine", "kept line\nkept too\n");
        assertThat(summary.render()).contains("rejected lines: 4").contains(text + ":2: invalid UTF-8");
        assertThat(Files.readString(dir.resolve("out/summary.json"))).contains("b-invalid.jsonl:2: invalid UTF-8");
    }

    @Test
    void keepsAtMostTenRejectionSamples() throws IOException {
        Path input = dir.resolve("many-bad.jsonl");
        var lines = new StringBuilder("{\"text\": \"ok\"}\n");
        for (int i = 0; i < 25; i++) {
            lines.append("{broken\n");
        }
        Files.writeString(input, lines);
        PrepareSummary summary = DataPrepare.run(options(input, "out"));
        assertThat(summary.rejected().total()).isEqualTo(25);
        assertThat(summary.rejected().samples()).hasSize(Rejections.MAX_SAMPLES);
    }

    @Test
    void missingTextFieldIsFatalNamingFileAndLineAndLeavesNoOutput() {
        Path input = TestData.copyResource("bad/missing-field.jsonl", dir, "missing-field.jsonl");
        Path out = dir.resolve("out");
        assertThatThrownBy(() -> DataPrepare.run(options(input, "out")))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(input + ":2")
                .hasMessageContaining("\"text\"")
                .hasMessageContaining("content");
        assertThat(out).doesNotExist();
        assertThat(dir.toFile().list()).containsExactly("missing-field.jsonl");
    }

    @Test
    void nonStringTextFieldIsFatal() throws IOException {
        Path input = Files.writeString(dir.resolve("numbers.jsonl"), "{\"text\": \"ok\"}\n{\"text\": 42}\n");
        assertThatThrownBy(() -> DataPrepare.run(options(input, "out")))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(input + ":2")
                .hasMessageContaining("NUMBER");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void customTextFieldIsRead() throws IOException {
        Path input = TestData.copyResource("bad/missing-field.jsonl", dir, "content.jsonl");
        Files.writeString(input, "{\"content\": \"from content\"}\n");
        DataPrepare.run(options(input, "out").withTextField("content"));
        assertThat(TestData.documents(train(dir.resolve("out")), bytes)).containsExactly("from content");
    }

    @Test
    void refusesToOverwriteANonEmptyOutput() throws IOException {
        Path input = TestData.copyResource("docs/b.jsonl", dir, "b.jsonl");
        Files.createDirectories(dir.resolve("out"));
        Files.writeString(dir.resolve("out/keep.txt"), "precious");
        assertThatThrownBy(() -> DataPrepare.run(options(input, "out")))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining(dir.resolve("out").toString())
                .hasMessageContaining("not empty");
        assertThat(dir.resolve("out/keep.txt")).hasContent("precious");
    }

    @Test
    void writesIntoAnExistingEmptyDirectory() throws IOException {
        Path input = TestData.copyResource("docs/b.jsonl", dir, "b.jsonl");
        Files.createDirectories(dir.resolve("out"));
        DataPrepare.run(options(input, "out"));
        assertThat(dir.resolve("out/train.bin")).exists();
    }

    @Test
    void explicitlyNamedUnsupportedOrMissingInputsAreErrors() throws IOException {
        Path csv = Files.writeString(dir.resolve("table.csv"), "a,b\n");
        assertThatThrownBy(() -> DataPrepare.run(options(csv, "out")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(csv.toString());
        Path missing = dir.resolve("missing.jsonl");
        assertThatThrownBy(() -> DataPrepare.run(options(missing, "out")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString());
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"byte", "hf"})
    void outputIsByteIdenticalForAnyThreadCount(String kind) throws IOException {
        String spec = kind.equals("byte") ? "byte" : TestData.tokenizerFixture(dir).toString();
        Path input = dir.resolve("many.jsonl");
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            docs.add(BuiltinCorpus.document(7, i));
        }
        Files.writeString(input, jsonl(docs.toArray(String[]::new)));
        var base = PrepareOptions.defaults(List.of(input), dir.resolve("one")).withValFraction(0.1).withTokenizer(spec);

        DataPrepare.run(base.withThreads(1));
        DataPrepare.run(new PrepareOptions(base.inputs(), dir.resolve("four"), base.tokenizerSpec(),
                base.textField(), base.valFraction(), base.seed(), 4));

        for (String file : List.of("train.bin", "train.idx", "val.bin", "val.idx", "corpus.json")) {
            assertThat(Files.readAllBytes(dir.resolve("four").resolve(file)))
                    .as(file)
                    .isEqualTo(Files.readAllBytes(dir.resolve("one").resolve(file)));
        }
        try (var corpus = PreparedCorpus.open(dir.resolve("four"))) {
            assertThat(corpus.info().train().documents() + corpus.info().val().documents()).isEqualTo(3000);
            assertThat(corpus.info().val().documents()).isBetween(240L, 360L);
            if (kind.equals("byte")) {
                List<String> all = new ArrayList<>(TestData.documents(TestData.all(corpus.train()), bytes));
                all.addAll(TestData.documents(TestData.all(corpus.val()), bytes));
                assertThat(all).containsExactlyInAnyOrderElementsOf(docs);
            }
        }
    }

    @Test
    void aSingleDocumentAlwaysGoesToTrain() throws IOException {
        Path input = Files.writeString(dir.resolve("one.jsonl"), jsonl("only"));
        PrepareSummary summary = DataPrepare.run(options(input, "out").withValFraction(0.999));
        assertThat(summary.train()).isEqualTo(new SplitCounts(1, 5));
        assertThat(summary.val()).isEqualTo(new SplitCounts(0, 0));
    }

    @Test
    void validationSplitDependsOnTheSeed() throws IOException {
        Path input = dir.resolve("many.jsonl");
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            docs.add("document " + i);
        }
        Files.writeString(input, jsonl(docs.toArray(String[]::new)));
        var base = PrepareOptions.defaults(List.of(input), dir.resolve("a")).withValFraction(0.2);
        DataPrepare.run(base.withSeed(1));
        DataPrepare.run(new PrepareOptions(base.inputs(), dir.resolve("b"), "byte", "text", 0.2, 2, 2));
        assertThat(Files.readAllBytes(dir.resolve("b/val.bin"))).isNotEqualTo(Files.readAllBytes(dir.resolve("a/val.bin")));
    }

    @Test
    void validationGetsADocumentWheneverAskedAndThereAreTwo() throws IOException {
        Path input = Files.writeString(dir.resolve("two.jsonl"), jsonl("first", "second"));
        PrepareSummary summary = DataPrepare.run(options(input, "out").withValFraction(0.0001));
        assertThat(summary.train().documents()).isEqualTo(1);
        assertThat(summary.val().documents()).isEqualTo(1);
        try (var corpus = PreparedCorpus.open(dir.resolve("out"))) {
            assertThat(TestData.documents(TestData.all(corpus.train()), bytes)).hasSize(1);
            assertThat(TestData.all(corpus.val())).endsWith(ByteTokenizer.EOS);
            assertThat(TestData.readIdx(dir.resolve("out/train.idx"))).hasSize(2);
        }
    }

    @Test
    void hfTokenizerIdsAreWrittenAsUint16() throws IOException {
        Path tokenizer = TestData.tokenizerFixture(dir);
        Path input = Files.writeString(dir.resolve("words.jsonl"), jsonl("the cat sat on the mat .", "hello world"));
        DataPrepare.run(options(input, "out").withTokenizer(tokenizer.toString()));
        try (var corpus = PreparedCorpus.open(dir.resolve("out"));
                var tok = Tokenizers.load(corpus.tokenizerSpec())) {
            assertThat(corpus.info().dtype()).isEqualTo(TokenDtype.UINT16);
            assertThat(corpus.vocabSize()).isEqualTo(34);
            assertThat(TestData.documents(TestData.all(corpus.train()), tok))
                    .containsExactly("the cat sat on the mat .", "hello world");
        }
    }

    @Test
    void vocabularyBeyond65536TokensIsWrittenAsUint32() throws IOException {
        Path tokenizer = TestData.tokenizerFixture(dir);
        var mapper = new ObjectMapper();
        var json = (ObjectNode) mapper.readTree(tokenizer.toFile());
        ((ObjectNode) json.get("added_tokens").get(1)).put("id", 70000);
        ((ObjectNode) json.at("/model/vocab")).put("<|endoftext|>", 70000);
        ((ArrayNode) json.at("/post_processor/special_tokens/<|endoftext|>/ids")).removeAll().add(70000);
        mapper.writeValue(tokenizer.toFile(), json);
        Path input = Files.writeString(dir.resolve("words.jsonl"), jsonl("a big red house", "the tree"));

        PrepareSummary summary = DataPrepare.run(options(input, "out").withTokenizer(tokenizer.toString()));

        Path out = dir.resolve("out");
        assertThat(Files.size(out.resolve("train.bin"))).isEqualTo(4 * summary.train().tokens());
        try (var corpus = PreparedCorpus.open(out)) {
            assertThat(corpus.info().dtype()).isEqualTo(TokenDtype.UINT32);
            assertThat(corpus.vocabSize()).isEqualTo(70001);
            assertThat(corpus.eosId()).isEqualTo(70000);
            assertThat(TestData.all(corpus.train())).containsExactly(3, 15, 17, 26, 70000, 2, 27, 70000);
        }
    }

    @Test
    void dtypeIsTheNarrowestThatHoldsEveryId() {
        assertThat(TokenDtype.forVocabSize(257)).isEqualTo(TokenDtype.UINT16);
        assertThat(TokenDtype.forVocabSize(65536)).isEqualTo(TokenDtype.UINT16);
        assertThat(TokenDtype.forVocabSize(65537)).isEqualTo(TokenDtype.UINT32);
    }

    @Test
    void noDocumentsAtAllIsAnError() throws IOException {
        Path input = Files.writeString(dir.resolve("empty.jsonl"), "\n{bad\n");
        assertThatThrownBy(() -> DataPrepare.run(options(input, "out")))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("no documents");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    static String jsonl(String... texts) throws IOException {
        var mapper = new ObjectMapper();
        var lines = new StringBuilder();
        for (String text : texts) {
            lines.append(mapper.writeValueAsString(Map.of("text", text))).append('\n');
        }
        return lines.toString();
    }

    @FunctionalInterface
    interface Compressor {
        OutputStream wrap(OutputStream out) throws IOException;
    }

    private static void writeCompressed(Path file, String content, Compressor compressor) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = compressor.wrap(Files.newOutputStream(file))) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] concat(String before, byte[] middle, String after) throws IOException {
        var out = new ByteArrayOutputStream();
        out.write(before.getBytes(StandardCharsets.UTF_8));
        out.write(middle);
        out.write(after.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
