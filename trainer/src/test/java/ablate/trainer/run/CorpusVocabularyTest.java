package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
import ablate.trainer.checkpoint.Checkpoints;
import ablate.trainer.cli.TrainCommand;
import ablate.trainer.data.DataException;
import ablate.trainer.data.DataPrepare;
import ablate.trainer.data.PrepareOptions;
import ablate.trainer.data.PreparedCorpus;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * Token ids beyond the model's vocabulary never reach the embedding: a corpus whose corpus.json
 * says so is refused at start, and a token file changed after preparation fails where it is read.
 */
class CorpusVocabularyTest {
    @TempDir
    Path tmp;

    @Test
    void dataPrepareRecordsTheLargestTokenIdItWrote() throws IOException {
        Path corpus = prepare("byte", "words");
        try (var opened = PreparedCorpus.open(corpus)) {
            int[] train = all(opened);
            assertThat(opened.info().maxTokenId()).isEqualTo(Arrays.stream(train).max().orElseThrow()).isEqualTo(256); // EOS
        }
        Path words = prepare(tokenizer().toString(), "hf");
        try (var opened = PreparedCorpus.open(words)) {
            int largest = Arrays.stream(all(opened)).max().orElseThrow();
            assertThat(opened.info().maxTokenId()).isEqualTo(largest).isLessThan(opened.vocabSize() - 1);
        }
    }

    @Test
    void aCorpusJsonWrittenBeforeTheLargestIdWasRecordedReadsAsTheVocabularysBound() throws IOException {
        Path corpus = prepare("byte", "old");
        Path json = corpus.resolve("corpus.json");
        var mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(json.toFile());
        root.remove("maxTokenId");
        Files.writeString(json, mapper.writeValueAsString(root));
        try (var opened = PreparedCorpus.open(corpus)) {
            assertThat(opened.info().maxTokenId()).isEqualTo(256);
        }
    }

    @ParameterizedTest(name = "{0} tokenizer, model.vocab-size = {1}")
    @CsvSource({"byte, 200, 256, 257", "hf, 20, 21, 34"})
    void aCorpusWhoseIdsExceedTheModelsVocabularyIsRefusedAtStartNamingItsCorpusJson(
            String kind, int modelVocab, int largestId, int corpusVocab) throws IOException {
        Path corpus = prepare(kind.equals("byte") ? "byte" : tokenizer().toString(), kind);
        Path runDir = tmp.resolve("run-" + kind);
        String[] config = config(corpus);
        FolderState before = FolderState.of(tmp);
        CommandOutput r = train(config, "--set", "model.vocab-size=" + modelVocab, "--run-dir", runDir.toString());
        r.assertRefused(2);
        assertThat(r.err().lines().filter(l -> l.startsWith("error: "))).singleElement().asString()
                .contains("model.vocab-size (--set model.vocab-size=" + modelVocab + "): " + modelVocab + " is too small for "
                        + corpus.resolve("corpus.json") + ": its largest token id is " + largestId)
                .contains("has " + corpusVocab + " tokens");
        before.assertUnchanged();
    }

    @Test
    void aTokenFileChangedAfterPreparationStopsTheRunNamingItAndItsLastCheckpointStays() throws IOException {
        Path corpus = prepare("byte", "changed");
        Path runDir = tmp.resolve("run");
        assertThat(train(config(corpus), "--set", "train.steps=2", "--set", "checkpoint.interval=2", "--run-dir", runDir.toString()).exit())
                .isZero();
        String metrics = Files.readString(runDir.resolve("metrics.jsonl"));
        Path bin = corpus.resolve("train.bin");
        byte[] damaged = new byte[(int) Files.size(bin)];
        Arrays.fill(damaged, (byte) 0xFF); // every token becomes id 65535
        Files.write(bin, damaged);

        FolderState before = FolderState.of(tmp);
        CommandOutput r = train("--run-dir", runDir.toString(), "--set", "train.steps=4");

        r.assertRefused(2);
        assertThat(r.err().lines().filter(l -> l.startsWith("error: "))).singleElement().asString()
                .contains(bin + ": token ").contains(" is id 65535, above the largest id corpus.json records (256)");
        assertThat(Files.readString(runDir.resolve("metrics.jsonl"))).isEqualTo(metrics);
        // found at the first read of the changed file, after the resume began: as documented for a resume, config.conf
        // holds the config asked for, the ledger records the resume, tb/ is rewritten to match metrics.jsonl
        before.assertUnchangedExcept(p -> p.equals(runDir.resolve("config.conf")) || p.equals(runDir.resolve(SampleLedger.FILE))
                || p.startsWith(runDir.resolve("tb")));
        var checkpoints = new Checkpoints(runDir.resolve("checkpoints"), Integer.MAX_VALUE);
        assertThat(checkpoints.latestCommitted()).get().extracting(c -> c.step()).isEqualTo(2L);
    }

    @Test
    void aReadOfAChangedTokenNamesTheFileTheOffsetAndTheId() throws IOException {
        Path corpus = prepare("byte", "one");
        Path bin = corpus.resolve("train.bin");
        byte[] bytes = Files.readAllBytes(bin);
        bytes[2 * 5] = (byte) 0x2C; // token 5 becomes 300 (0x012C, little-endian)
        bytes[2 * 5 + 1] = 0x01;
        Files.write(bin, bytes);
        try (var opened = PreparedCorpus.open(corpus)) {
            assertThatThrownBy(() -> opened.train().read(0, new int[8]))
                    .isInstanceOf(DataException.class)
                    .hasMessage(bin + ": token 5 is id 300, above the largest id corpus.json records (256); the file was changed"
                            + " after `data prepare` wrote it: prepare the corpus again");
            int[] before = new int[5];
            opened.train().read(0, before); // the tokens before it still read
        }
    }

    private Path prepare(String tokenizer, String name) throws IOException {
        var text = new StringBuilder();
        String[] words = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"};
        for (int i = 0; i < 300; i++) {
            text.append("{\"text\": \"");
            for (int w = 0; w < 12; w++) {
                text.append(words[(i * 7 + w * 3) % words.length]).append(' ');
            }
            text.append("\"}\n");
        }
        Path input = Files.writeString(tmp.resolve(name + ".jsonl"), text);
        Path out = tmp.resolve("corpus-" + name);
        DataPrepare.run(PrepareOptions.defaults(List.of(input), out).withTokenizer(tokenizer).withValFraction(0.1).withThreads(1));
        return out;
    }

    private Path tokenizer() throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        if (!Files.exists(file)) {
            try (InputStream in = CorpusVocabularyTest.class.getResourceAsStream("/data/tokenizer/tokenizer.json")) {
                Files.copy(in, file);
            }
        }
        return file;
    }

    private static int[] all(PreparedCorpus corpus) {
        int[] tokens = new int[Math.toIntExact(corpus.train().length())];
        corpus.train().read(0, tokens);
        return tokens;
    }

    private String[] config(Path corpus) throws IOException {
        Path conf = Files.writeString(tmp.resolve("data-" + corpus.getFileName() + ".conf"),
                "data.corpora = [{ path = \"" + corpus.toAbsolutePath() + "\", weight = 1.0 }]\ntrain.threads = 2\n");
        return new String[] {"--preset", "debug", "--config", conf.toString()};
    }

    private static CommandOutput train(String[] first, String... more) {
        String[] args = new String[first.length + more.length];
        System.arraycopy(first, 0, args, 0, first.length);
        System.arraycopy(more, 0, args, first.length, more.length);
        return train(args);
    }

    private static CommandOutput train(String... args) {
        return CommandOutput.of(() -> new CommandLine(new TrainCommand()).execute(args));
    }
}
