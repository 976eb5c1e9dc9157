package ablate.trainer.model;

import ablate.conf.Architecture;
import ablate.conf.AttentionMask;
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
 * A decoder-only Transformer in the GPT-3 mould (Brown et al. 2020): token embedding, optional
 * learned positions and embedding LayerNorm, pre-LN blocks, a final LayerNorm and an output
 * projection tied to the token embedding. Every ablation axis of the BigScience study (Le Scao et
 * al. 2022) is a {@link ModelConfig} choice made once here, and so are the choices that make
 * GPT-2, BLOOM, GPT-NeoX and LLaMA checkpoints fit (RMSNorm, no biases, tanh GELU, an untied
 * {@code lm_head}, parallel residual, grouped-query attention; see {@code ablate.trainer.hf}).
 * T5's relative attention bias ({@link RelativeBias}) is a position choice here too: one table for
 * all layers, its buckets causal in a causal decoder and two-sided in a prefix LM.
 *
 * <p>Weights are named like Hugging Face's GPT-2 (wte, wpe, relative_bias, h.N.attn.qkv.weight,
 * ln_f.bias, ...).
 * The model is single-device; parallelism is applied around it.
 */
public final class Gpt implements LanguageModel {
    private final ModelConfig config;
    private final Parameters params;
    private final NDArray tokenEmbedding; // (V, d)
    private final NDArray positionEmbedding; // (seq-len, d) for learned positions; unused otherwise
    private final RelativeBias relative; // T5's relative bias for position == RELATIVE; null otherwise, and never used then
    private final UnaryOperator<NDArray> embeddingNorm; // BLOOM's LayerNorm, or the identity
    private final Rotary rotary; // used when position == ROTARY; a one-position stub otherwise
    private final List<Block> blocks = new ArrayList<>();
    private final Normalization finalNorm;
    private final NDArray outputHead; // (V, d): the token embedding when tied, lm_head.weight otherwise
    private final AttentionBias bias;

    /**
     * @param initialize draw initial weights from the seed; false leaves zeros (to load a
     *     checkpoint into, or to count parameters of a large shape)
     */
    public Gpt(NDManager manager, ModelConfig config, long seed, boolean initialize) {
        this(manager, config, seed, initialize, DataType.FLOAT32);
    }

    /**
     * @param dataType what weights and activations are in: FLOAT32, or FLOAT16 for mixed precision,
     *     where only the loss's log-softmax runs in fp32 (libtorch's fp16 softmax and LayerNorm
     *     kernels accumulate in fp32 themselves). Weights stay fp16 leaves of the graph because
     *     DJL's casts ({@code toType}) run under a NoGradGuard: a cast inside the graph would cut
     *     the gradient, so fp32 masters live in the optimizer instead (Megatron's and apex O2's
     *     layout).
     */
    public Gpt(NDManager manager, ModelConfig config, long seed, boolean initialize, DataType dataType) {
        ShapeLimits.check(config); // before any array is allocated
        requireDecoder(config);
        this.config = config;
        this.params = new Parameters(manager, seed, initialize, dataType);
        int d = config.dModel();
        this.tokenEmbedding = params.create("wte", new Shape(config.paddedVocab(), d), new Parameters.Init.Normal(config.initStd()));
        this.positionEmbedding = config.position() == Position.LEARNED
                ? params.create("wpe", new Shape(config.seqLen(), d), new Parameters.Init.Normal(config.initStd()))
                : manager.zeros(new Shape(0, d));
        // buckets for keys on both sides where the prefix-LM mask lets a query see them
        this.relative = config.position() == Position.RELATIVE
                ? new RelativeBias(params, "relative_bias", config, config.attentionMask() == AttentionMask.PREFIX)
                : null;
        this.embeddingNorm = config.embeddingLayerNorm()
                ? Normalization.create(params, "emb_ln.", config)::forward
                : UnaryOperator.identity();
        int rotaryDim = config.position() == Position.ROTARY ? config.rotaryDim() : 2;
        this.rotary = new Rotary(manager, config.position() == Position.ROTARY ? config.seqLen() : 1, config.headDim(), rotaryDim,
                config.rotaryBase(), dataType);
        for (int i = 0; i < config.layers(); i++) {
            blocks.add(new Block(params, i, config));
        }
        this.finalNorm = Normalization.create(params, "ln_f.", config);
        this.outputHead = config.tiedOutput()
                ? tokenEmbedding
                : params.create("lm_head.weight", new Shape(config.paddedVocab(), d), new Parameters.Init.Normal(config.initStd()));
        this.bias = new AttentionBias(manager, config.heads(), config.seqLen(), config.position() == Position.ALIBI, dataType);
    }

    /**
     * Refuses a model this class is not: an encoder-decoder (T5, Raffel et al. 2020) is
     * {@link EncoderDecoder}, and building a decoder in its place would load or score the wrong
     * model under its name. Runs train, are evaluated and convert to and from Hugging Face as
     * either ({@link LanguageModel#create}, {@link LanguageModel#toLoad}); what takes a decoder
     * only refuses the other here.
     *
     * @throws SettingsException naming model.architecture
     */
    public static void requireDecoder(ModelConfig config) {
        if (config.architecture() == Architecture.ENCODER_DECODER) {
            throw SettingsException.of("model.architecture", "encoder-decoder is not a decoder: encoder-decoders"
                    + " are built as EncoderDecoder (LanguageModel.create, LanguageModel.toLoad); this takes a decoder");
        }
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
     * Next-token logits.
     *
     * @param tokens (B, T) int64 token ids, T <= seq-len
     * @param prefix (B) int64 prefix lengths for the prefix-LM mask; ignored for causal models
     * @return (B, T, padded vocab)
     */
    public NDArray logits(NDArray tokens, NDArray prefix, boolean training) {
        long t = checkLength(tokens);
        NDArray x = embed(tokens);
        if (config.position() == Position.LEARNED) {
            x = x.add(t == config.seqLen() ? positionEmbedding : positionEmbedding.get(new NDIndex("0:{}", t)));
        }
        NDArray scoresBias = config.attentionMask() == AttentionMask.PREFIX ? bias.prefix(prefix, t) : bias.causal(t);
        if (config.position() == Position.RELATIVE) {
            scoresBias = scoresBias.add(relative.forward(t)); // (B or 1, H, T, T)
        }
        UnaryOperator<NDArray> rotate = config.position() == Position.ROTARY ? rotary::apply : UnaryOperator.identity();
        return decode(x, scoresBias, rotate, training);
    }

    /**
     * Logits of packed rows, for evaluation: each token carries its own position and sees only the
     * keys {@code visible} allows, so several continuations of one context share a row and the
     * context is computed once. With positions 0..T-1 and a causal {@code visible} this equals
     * {@link #logits(NDArray, NDArray, boolean)} of a causal model.
     *
     * @param tokens (B, T) int64 token ids, T <= seq-len
     * @param positions (B, T) int64 position of each token, each < seq-len
     * @param visible (B, T, T) boolean: query i may attend to key j
     * @return (B, T, padded vocab)
     */
    public NDArray logits(NDArray tokens, NDArray positions, NDArray visible) {
        checkLength(tokens);
        NDArray x = embed(tokens);
        if (config.position() == Position.LEARNED) {
            x = x.add(Embedding.embedding(positions, positionEmbedding, SparseFormat.DENSE).singletonOrThrow());
        }
        UnaryOperator<NDArray> rotate = config.position() == Position.ROTARY ? rotary.at(positions) : UnaryOperator.identity();
        NDArray scoresBias = bias.packed(positions, visible);
        if (config.position() == Position.RELATIVE) {
            scoresBias = scoresBias.add(relative.packed(positions)); // (B, H, T, T)
        }
        return decode(x, scoresBias, rotate, false);
    }

    private long checkLength(NDArray tokens) {
        long t = tokens.getShape().get(1);
        if (t > config.seqLen()) {
            throw new IllegalArgumentException("sequence of " + t + " tokens is longer than model.seq-len = " + config.seqLen());
        }
        return t;
    }

    private NDArray embed(NDArray tokens) {
        return Embedding.embedding(tokens, tokenEmbedding, SparseFormat.DENSE).singletonOrThrow(); // (B, T, d)
    }

    /** Embedding norm, dropout, the blocks, the final norm and the output projection. */
    private NDArray decode(NDArray x, NDArray scoresBias, UnaryOperator<NDArray> rotate, boolean training) {
        x = embeddingNorm.apply(x);
        if (config.dropout() > 0 && training) {
            x = Dropout.dropout(x, (float) config.dropout(), true).singletonOrThrow();
        }
        for (Block block : blocks) {
            x = block.forward(x, scoresBias, rotate, training);
        }
        x = finalNorm.forward(x);
        return Linear.linear(x, outputHead).singletonOrThrow(); // (B, T, V)
    }

    /**
     * Mean next-token cross-entropy. For prefix-LM models only targets after the prefix count:
     * position t predicts token t + 1, so positions t >= prefix - 1.
     *
     * @param tokens (B, T) int64 inputs
     * @param targets (B, T) int64 next tokens
     * @param prefix (B) int64 prefix lengths (prefix-LM only)
     * @return a scalar
     */
    public NDArray loss(NDArray tokens, NDArray targets, NDArray prefix, boolean training) {
        // fp32 whatever the logits are in (autocast's rule for log_softmax); the same op as logSoftmax(-1) for fp32 logits
        NDArray logProbs = JniUtils.logSoftmax((PtNDArray) logits(tokens, prefix, training), -1, DataType.FLOAT32); // (B, T, V)
        NDArray picked = logProbs.gather(targets.expandDims(-1), -1).squeeze(-1); // (B, T)
        if (config.attentionMask() == AttentionMask.CAUSAL) {
            return picked.mean().neg();
        }
        long t = tokens.getShape().get(1);
        NDArray positions = tokens.getManager().arange(0, t, 1, DataType.INT64).reshape(1, t);
        NDArray counted = positions.gte(prefix.reshape(-1, 1).sub(1)).toType(DataType.FLOAT32, false); // (B, T)
        return picked.mul(counted).sum().div(counted.sum()).neg();
    }

    /**
     * {@link #loss(NDArray, NDArray, NDArray, boolean)} of a batch of windows.
     *
     * @throws IllegalArgumentException for an encoder-decoder's batch
     */
    @Override
    public NDArray loss(Batch batch, boolean training) {
        if (!(batch instanceof Batch.Windows(NDArray inputs, NDArray targets, NDArray prefix))) {
            throw new IllegalArgumentException("a decoder trains on windows of text, not on (input, target) pairs");
        }
        return loss(inputs, targets, prefix, training);
    }

    @Override
    public void close() {
        params.close();
    }
}
