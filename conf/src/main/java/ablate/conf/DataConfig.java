package ablate.conf;

import java.util.List;

/** Where the training tokens come from (the {@code data} block of reference.conf). */
public record DataConfig(List<Corpus> corpora, int builtinTrainDocuments, int builtinValDocuments) {

    /** One prepared corpus of a blend, with its sampling weight. */
    public record Corpus(String path, double weight) {
        public Corpus {
            if (path.isBlank()) {
                throw SettingsException.of("data.corpora", "a corpus needs a path (an `ablate data prepare` output folder)");
            }
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw SettingsException.of("data.corpora", "weight of " + path + " must be > 0, got " + weight);
            }
        }
    }

    public DataConfig {
        corpora = List.copyOf(corpora);
        if (builtinTrainDocuments <= 0) {
            throw SettingsException.of("data.builtin.train-documents", "must be positive, got " + builtinTrainDocuments);
        }
        if (builtinValDocuments <= 0) {
            throw SettingsException.of("data.builtin.val-documents", "must be positive, got " + builtinValDocuments);
        }
    }

    /** True when the run trains on the built-in synthetic corpus. */
    public boolean builtin() {
        return corpora.isEmpty();
    }
}
