package ablate.trainer.data;

/**
 * Text to token ids and back, the one contract the data pipeline and the trainer share.
 *
 * <p>Implementations never add special tokens on {@link #encode}: document boundaries are marked by
 * the pipeline itself, which appends {@link #eosId()} after every document, so the same text always
 * gives the same ids whether it is prepared offline or generated in memory.
 *
 * <p>Implementations are safe to call from several threads at once, because {@link DataPrepare}
 * tokenizes chunks of documents in parallel with one shared instance.
 */
public interface Tokenizer extends AutoCloseable {

    /** The spec this tokenizer was loaded from ({@code "byte"} or a path), recorded in corpus.json. */
    String spec();

    /** Number of distinct ids, i.e. one more than the largest id this tokenizer can produce. */
    int vocabSize();

    /** The id that ends a document. */
    int eosId();

    /** Ids of {@code text}, without any special tokens. */
    int[] encode(String text);

    /** Text of {@code ids}; end-of-document ids are left out. */
    String decode(int[] ids);

    /** Releases native resources; a no-op for pure Java tokenizers. */
    @Override
    default void close() {}
}
