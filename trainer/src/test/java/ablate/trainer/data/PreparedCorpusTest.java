package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreparedCorpusTest {

    @TempDir
    Path dir;

    private Path out;
    private final Tokenizer bytes = new ByteTokenizer();

    @BeforeEach
    void prepare() throws IOException {
        Path input = Files.writeString(dir.resolve("docs.jsonl"), DataPrepareTest.jsonl("alpha", "beta", "gamma", "delta"));
        out = dir.resolve("out");
        DataPrepare.run(PrepareOptions.defaults(List.of(input), out).withValFraction(0.3).withThreads(1));
    }

    @Test
    void readsBackWhatWasWritten() {
        try (var corpus = PreparedCorpus.open(out)) {
            assertThat(corpus.tokenizerSpec()).isEqualTo("byte");
            assertThat(corpus.vocabSize()).isEqualTo(257);
            assertThat(corpus.eosId()).isEqualTo(256);
            var docs = new ArrayList<>(TestData.documents(TestData.all(corpus.train()), bytes));
            docs.addAll(TestData.documents(TestData.all(corpus.val()), bytes));
            assertThat(docs).containsExactlyInAnyOrder("alpha", "beta", "gamma", "delta");
            assertThat(corpus.train().length() + corpus.val().length()).isEqualTo(5 + 4 + 5 + 5 + 4);
            assertThat(corpus.val().length()).isPositive();
        }
    }

    @Test
    void readsAnyRangeOfTheMappedStream() {
        try (var corpus = PreparedCorpus.open(out)) {
            int[] all = TestData.all(corpus.train());
            int[] middle = new int[3];
            corpus.train().read(2, middle);
            assertThat(middle).containsExactly(all[2], all[3], all[4]);
            assertThatThrownBy(() -> corpus.train().read(all.length - 1, new int[2]))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void readsAfterCloseFailInsteadOfCrashing() {
        var corpus = PreparedCorpus.open(out);
        TokenStream train = corpus.train();
        corpus.close();
        assertThatThrownBy(() -> train.read(0, new int[1])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void truncatedBinFailsNamingTheFile() throws IOException {
        Path bin = out.resolve("train.bin");
        try (var channel = FileChannel.open(bin, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 2);
        }
        assertThatThrownBy(() -> PreparedCorpus.open(out))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(bin.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void missingBinFailsNamingTheFile() throws IOException {
        Files.delete(out.resolve("val.bin"));
        assertThatThrownBy(() -> PreparedCorpus.open(out))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(out.resolve("val.bin").toString());
    }

    @Test
    void missingCorpusJsonFailsNamingTheFile() throws IOException {
        Files.delete(out.resolve("corpus.json"));
        assertThatThrownBy(() -> PreparedCorpus.open(out))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(out.resolve("corpus.json").toString());
    }

    @Test
    void otherFormatVersionsAreRefused() throws IOException {
        Path json = out.resolve("corpus.json");
        Files.writeString(json, Files.readString(json).replace("\"format\" : 1", "\"format\" : 2"));
        assertThatThrownBy(() -> PreparedCorpus.open(out))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(json.toString())
                .hasMessageContaining("format 2");
    }

    @Test
    void arrayStreamReadsLikeTheMappedOne() {
        var stream = new ArrayTokenStream(new int[] {5, 6, 7, 8});
        int[] dst = new int[2];
        stream.read(1, dst);
        assertThat(dst).containsExactly(6, 7);
        assertThat(stream.length()).isEqualTo(4);
        assertThatThrownBy(() -> stream.read(3, new int[2])).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> stream.read(-1, new int[1])).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
