package ablate.trainer.model;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.SettingsException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * An encoder-decoder Transformer in the T5 mould (Raffel et al. 2020; Vaswani et al. 2017), the
 * third architecture of Wang et al. 2022: a bidirectional encoder over the input and a causal
 * decoder over the target that reads the encoder's output through cross-attention. Each stack has
 * {@code model.layers} pre-LN blocks and a final norm of its own; they share the token embedding,
 * which is also the output projection when {@code model.tied-output} is on (T5 ties them too but
 * scales the decoder's output by d^-1/2 before the projection, and does not scale attention scores
 * by hs^-1/2; here, as in {@link Gpt}, the head is not scaled and the scores are: the Hugging Face
 * import and export fold both into the weights, see {@code ablate.trainer.hf}).
 *
 * <p>Every other ablation axis means what it means in {@link Gpt}, in both stacks: position none,
 * learned (each stack has its own table of seq-len rows, as BART's encoder and decoder do, Lewis
 * et al. 2020), rotary, ALiBi or T5's relative bias (self-attention only: cross-attention has no
 * positional term, see {@link Attention}; the encoder's ALiBi is the symmetric -m_h |i - j|; the
 * relative bias has a table per stack, shared by its layers, two-sided buckets in the encoder and
 * causal ones in the decoder, as in T5), the MLP's activation (GELU, SwiGLU, ReLU or GEGLU),
 * embedding LayerNorm, norm, bias, grouped-query attention. Parallel residual is refused
 * ({@link DecoderBlock} says why). Sequences of either stack are at most seq-len long.
 *
 * <p>Weights are named by stack: wte (shared); encoder.wpe or encoder.relative_bias,
 * encoder.emb_ln.*, encoder.h.N.* (as a decoder's h.N.*), encoder.ln_f.*; decoder.wpe or
 * decoder.relative_bias, decoder.emb_ln.*, decoder.h.N.{ln1, attn, ln_cross, cross.q, cross.kv,
 * cross.proj, ln2, mlp}.*, decoder.ln_f.*; lm_head.weight when untied.
 */
public final class EncoderDecoder implements LanguageModel {
    private final ModelConfig config;
    private final Parameters params;
    private final NDArray tokenEmbedding; // (V, d), the input embedding of both stacks
    private final NDArray encoderPositions; // (seq-len, d) for learned positions; (0, d) otherwise
    private final RelativeBias encoderRelative; // two-sided buckets, for position == RELATIVE; null otherwise, and never used then
    private final UnaryOperator<NDArray> encoderEmbeddingNorm; // BLOOM's LayerNorm, or the identity
    private final List<Block> encoderBlocks = new ArrayList<>();
    private final Normalization encoderNorm;
    private final NDArray decoderPositions; // (seq-len, d) for learned positions; (0, d) otherwise
    private final RelativeBias decoderRelative; // causal buckets, for position == RELATIVE; null otherwise, and never used then
    private final UnaryOperator<NDArray> decoderEmbeddingNorm;
    private final List<DecoderBlock> decoderBlocks = new ArrayList<>();
    private final Normalization decoderNorm;
    private final NDArray outputHead; // (V, d): the token embedding when tied, lm_head.weight otherwise
    private final Rotary rotary; // used when position == ROTARY; a one-position stub otherwise
    private final AttentionBias bias;

    /**
     * @param initialize draw initial weights from the seed; false leaves zeros (to load a
     *     checkpoint into, or to count parameters)
     * @param dataType FLOAT32, or FLOAT16 for mixed precision (as in {@link Gpt})
     * @throws SettingsException naming the key when the config is not an encoder-decoder this
     *     class builds
     */
    public EncoderDecoder(NDManager manager, ModelConfig config, long seed, boolean initialize, DataType dataType) {
        ShapeLimits.check(config); // before any array is allocated
        requireSupported(config);
        this.config = config;
        this.params = new Parameters(manager, seed, initialize, dataType);
        int d = config.dModel();
        this.tokenEmbedding = params.create("wte", new Shape(config.paddedVocab(), d), new Parameters.Init.Normal(config.initStd()));
        this.encoderPositions = positionTable(manager, "encoder.");
        this.encoderRelative = relativeBias("encoder.", true);
        this.encoderEmbeddingNorm = embeddingNorm("encoder.");
        for (int i = 0; i < config.layers(); i++) {
            encoderBlocks.add(new Block(params, "encoder.h." + i + ".", config));
        }
        this.encoderNorm = Normalization.create(params, "encoder.ln_f.", config);
        this.decoderPositions = positionTable(manager, "decoder.");
        this.decoderRelative = relativeBias("decoder.", false);
        this.decoderEmbeddingNorm = embeddingNorm("decoder.");
        for (int i = 0; i < config.layers(); i++) {
            decoderBlocks.add(new DecoderBlock(params, "decoder.h." + i + ".", config));
        }
        this.decoderNorm = Normalization.create(params, "decoder.ln_f.", config);
        this.outputHead = config.tiedOutput()
                ? tokenEmbedding
                : params.create("lm_head.weight", new Shape(config.paddedVocab(), d), new Parameters.Init.Normal(config.initStd()));
        int rotaryDim = config.position() == Position.ROTARY ? config.rotaryDim() : 2;
        this.rotary = new Rotary(manager, config.position() == Position.ROTARY ? config.seqLen() : 1, config.headDim(), rotaryDim,
                config.rotaryBase(), dataType);
        this.bias = new AttentionBias(manager, config.heads(), config.seqLen(), config.position() == Position.ALIBI, dataType);
    }

    /** An encoder-decoder in float32. */
    public EncoderDecoder(NDManager manager, ModelConfig config, long seed, boolean initialize) {
        this(manager, config, seed, initialize, DataType.FLOAT32);
    }

    /**
     * Refuses what this class does not build: a decoder's config, or a setting that has no meaning
     * for an encoder-decoder.
     *
     * @throws SettingsException naming the key
     */
    public static void requireSupported(ModelConfig config) {
        if (config.architecture() != Architecture.ENCODER_DECODER) {
            throw SettingsException.of("model.architecture", config.architecture().key() + " is a decoder; this is the"
                    + " encoder-decoder model (model.architecture = encoder-decoder)");
        }
        if (config.seqLen() < 2) {
            throw SettingsException.of("model.seq-len", config.seqLen() + " is too short for an encoder-decoder: its input holds"
                    + " at least one token and EOS");
        }
        if (config.parallelResidual()) {
            throw SettingsException.of("model.parallel-residual", "on has no meaning for an encoder-decoder: its decoder blocks"
                    + " have three branches (self-attention, cross-attention, MLP) and GPT-J's parallel residual is defined"
                    + " for two; set it off");
        }
    }

    private NDArray positionTable(NDManager manager, String prefix) {
        return config.position() == Position.LEARNED
                ? params.create(prefix + "wpe", new Shape(config.seqLen(), config.dModel()), new Parameters.Init.Normal(config.initStd()))
                : manager.zeros(new Shape(0, config.dModel()));
    }

    private RelativeBias relativeBias(String prefix, boolean bidirectional) {
        return config.position() == Position.RELATIVE ? new RelativeBias(params, prefix + "relative_bias", config, bidirectional) : null;
    }

    private UnaryOperator<NDArray> embeddingNorm(String prefix) {
        return config.embeddingLayerNorm() ? Normalization.create(params, prefix + "emb_ln.", config)::forward : UnaryOperator.identity();
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    /**
     * The encoder's output: bidirectional self-attention over each sequence's tokens, padding
     * masked out of every key.
     *
     * @param tokens (B, S) int64 token ids, S <= seq-len
     * @param lengths (B) int64 tokens of each row, in [1, S]; the rest of the row is padding
     * @return (B, S, d), after the encoder's final norm; rows of padding positions are computed
     *     but mean nothing
     */
    public NDArray encode(NDArray tokens, NDArray lengths, boolean training) {
        long s = checkLength(tokens, "encoder");
        NDArray x = embed(tokens, encoderPositions, encoderEmbeddingNorm, training);
        NDArray scoresBias = bias.bidirectional(lengths, s);
        if (config.position() == Position.RELATIVE) {
            scoresBias = scoresBias.add(encoderRelative.forward(s)); // (B, H, S, S)
        }
        UnaryOperator<NDArray> rotate = config.position() == Position.ROTARY ? rotary::apply : UnaryOperator.identity();
        for (Block block : encoderBlocks) {
            x = block.forward(x, scoresBias, rotate, training);
        }
        return encoderNorm.forward(x);
    }

    /**
     * Next-token logits of the decoder reading {@code tokens} with the encoder's output.
     *
     * @param memory (B, S, d) from {@link #encode}
     * @param lengths (B) int64 the encoder rows' lengths, as given to {@link #encode}
     * @param tokens (B, T) int64 decoder inputs, T <= seq-len
     * @return (B, T, padded vocab)
     */
    public NDArray decode(NDArray memory, NDArray lengths, NDArray tokens, boolean training) {
        return decode(memory, lengths, UnaryOperator.identity(), tokens, training);
    }

    /**
     * Next-token logits of R decoder rows that read C encoder rows, several decoder rows one
     * encoder row (the choices of a zero-shot question behind its one context): the same logits as
     * {@link #decode} of each decoder row's encoder row repeated, with each layer's cross-attention
     * keys and values projected once per encoder row rather than once per decoder row.
     *
     * @param memory (C, S, d) from {@link #encode}
     * @param lengths (C) int64 the encoder rows' lengths, as given to {@link #encode}
     * @param rows (R) int64 the encoder row each decoder row reads, each in [0, C)
     * @param tokens (R, T) int64 decoder inputs, T <= seq-len
     * @return (R, T, padded vocab)
     */
    public NDArray decode(NDArray memory, NDArray lengths, NDArray rows, NDArray tokens, boolean training) {
        return decode(memory, lengths, x -> Attention.rowsOf(x, rows), tokens, training);
    }

    private NDArray decode(NDArray memory, NDArray lengths, UnaryOperator<NDArray> toRows, NDArray tokens, boolean training) {
        long t = checkLength(tokens, "decoder");
        NDArray x = embed(tokens, decoderPositions, decoderEmbeddingNorm, training);
        NDArray causal = config.position() == Position.RELATIVE ? bias.causal(t).add(decoderRelative.forward(t)) : bias.causal(t);
        var encoder = new DecoderBlock.Encoded(memory, toRows, toRows.apply(bias.padding(lengths, memory.getShape().get(1))));
        UnaryOperator<NDArray> rotate = config.position() == Position.ROTARY ? rotary::apply : UnaryOperator.identity();
        for (DecoderBlock block : decoderBlocks) {
            x = block.forward(x, causal, encoder, rotate, training);
        }
        x = decoderNorm.forward(x);
        return Linear.linear(x, outputHead).singletonOrThrow(); // (R, T, V)
    }

    /** {@link #decode} of {@link #encode}: (B, T, padded vocab). */
    public NDArray logits(Batch.Pairs pairs, boolean training) {
        NDArray memory = encode(pairs.encoderInputs(), pairs.encoderLengths(), training);
        return decode(memory, pairs.encoderLengths(), pairs.decoderInputs(), training);
    }

    /**
     * Mean cross-entropy of the decoder's targets, every position of every row.
     *
     * @throws IllegalArgumentException for a decoder's batch
     */
    @Override
    public NDArray loss(Batch batch, boolean training) {
        if (!(batch instanceof Batch.Pairs pairs)) {
            throw new IllegalArgumentException("an encoder-decoder trains on (input, target) pairs, not on windows of text");
        }
        // fp32 whatever the logits are in, as in Gpt.loss
        NDArray logProbs = JniUtils.logSoftmax((PtNDArray) logits(pairs, training), -1, DataType.FLOAT32); // (B, T, V)
        return logProbs.gather(pairs.targets().expandDims(-1), -1).squeeze(-1).mean().neg(); // (B, T) picked, then a scalar
    }

    private long checkLength(NDArray tokens, String stack) {
        long t = tokens.getShape().get(1);
        if (t > config.seqLen()) {
            throw new IllegalArgumentException("the " + stack + "'s sequence of " + t + " tokens is longer than model.seq-len = "
                    + config.seqLen());
        }
        return t;
    }

    /** Token embedding, learned positions, embedding norm and dropout of one stack: (B, T, d). */
    private NDArray embed(NDArray tokens, NDArray positions, UnaryOperator<NDArray> embeddingNorm, boolean training) {
        NDArray x = Embedding.embedding(tokens, tokenEmbedding, SparseFormat.DENSE).singletonOrThrow(); // (B, T, d)
        if (config.position() == Position.LEARNED) {
            long t = tokens.getShape().get(1);
            x = x.add(t == config.seqLen() ? positions : positions.get(new NDIndex("0:{}", t)));
        }
        x = embeddingNorm.apply(x);
        if (config.dropout() > 0 && training) {
            x = Dropout.dropout(x, (float) config.dropout(), true).singletonOrThrow();
        }
        return x;
    }

    @Override
    public void close() {
        params.close();
    }
}
