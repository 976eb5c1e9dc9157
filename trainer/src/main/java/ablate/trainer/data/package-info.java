/**
 * Training data, from raw text to the token windows a step consumes.
 *
 * <p>The flow, in the order data moves: a {@link ablate.trainer.data.Tokenizer} (bytes or a Hugging
 * Face tokenizer.json) turns text into ids; {@link ablate.trainer.data.DataPrepare} does that once,
 * offline, for text and JSONL dumps and writes packed {@code .bin} files;
 * {@link ablate.trainer.data.PreparedCorpus} maps them back as
 * {@link ablate.trainer.data.TokenStream}s, or {@link ablate.trainer.data.BuiltinCorpus} generates
 * streams in memory; the {@link ablate.trainer.data.Sampler} cuts windows from the streams as a
 * pure function of the sample index, so any rank can compute any sample and resumed runs repeat
 * the uninterrupted sequence; {@link ablate.trainer.data.ValidationWindows} fixes the evaluation set.
 */
package ablate.trainer.data;
