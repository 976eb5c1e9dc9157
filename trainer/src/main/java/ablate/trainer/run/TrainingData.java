package ablate.trainer.run;

import ablate.conf.DataConfig;
import ablate.conf.SettingsException;
import ablate.trainer.data.BuiltinCorpus;
import ablate.trainer.data.Corpus;
import ablate.trainer.data.PreparedCorpus;
import ablate.trainer.data.Source;
import ablate.trainer.data.TokenStream;
import ablate.trainer.data.Tokenizer;
import ablate.trainer.data.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The token streams a run trains and validates on: the weighted blend of prepared corpora, or the
 * built-in synthetic corpus. Validation uses the first corpus's held-out split.
 *
 * @param eosId the tokenizer's end-of-document id (span corruption ends its sequences with it)
 */
public record TrainingData(List<Source> sources, TokenStream validation, int vocabSize, String tokenizer, int eosId,
        List<PreparedCorpus> opened) implements AutoCloseable {

    public TrainingData {
        sources = List.copyOf(sources);
        opened = List.copyOf(opened);
    }

    /** Opens (or, for the built-in corpus, generates) the data, failing with the key and path. */
    public static TrainingData open(DataConfig data, long seed, Path baseDir) {
        if (data.builtin()) {
            Tokenizer bytes = Tokenizers.load("byte");
            Corpus corpus = BuiltinCorpus.build(seed, data.builtinTrainDocuments(), data.builtinValDocuments(), bytes);
            return new TrainingData(List.of(new Source("builtin", corpus.train(), 1.0)), corpus.val(), 257, "byte", bytes.eosId(), List.of());
        }
        List<Source> sources = new ArrayList<>();
        List<PreparedCorpus> opened = new ArrayList<>();
        String tokenizer = "";
        int vocab = 0;
        for (DataConfig.Corpus c : data.corpora()) {
            Path dir = baseDir.resolve(c.path());
            if (!Files.isDirectory(dir)) {
                throw SettingsException.of("data.corpora", "corpus folder " + dir + " does not exist (make it with `ablate data prepare`)");
            }
            PreparedCorpus corpus;
            try {
                corpus = PreparedCorpus.open(dir);
            } catch (RuntimeException e) {
                throw SettingsException.of("data.corpora", "cannot open " + dir + ": " + e.getMessage());
            }
            if (!tokenizer.isEmpty() && !tokenizer.equals(corpus.tokenizerSpec())) {
                throw SettingsException.of("data.corpora", dir + " was tokenized with " + corpus.tokenizerSpec()
                        + ", the other corpora with " + tokenizer + "; a blend needs one tokenizer");
            }
            tokenizer = corpus.tokenizerSpec();
            vocab = Math.max(vocab, corpus.vocabSize());
            opened.add(corpus);
            sources.add(new Source(c.path(), corpus.train(), c.weight()));
        }
        // one tokenizer, so one EOS
        return new TrainingData(sources, opened.getFirst().val(), vocab, tokenizer, opened.getFirst().eosId(), opened);
    }

    @Override
    public void close() {
        opened.forEach(PreparedCorpus::close);
    }
}
