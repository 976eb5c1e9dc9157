package ablate.trainer.model;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.conf.RunConfig;
import ablate.trainer.data.SpanCounts;
import ablate.trainer.data.SpanNoise;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameter counts, FLOPs and memory of a model computed from its shape alone, so that shapes too
 * large to build (the 176B preset) can be reasoned about; tests check the counts against built models.
 *
 * <p>FLOPs per token are the model FLOPs of Narayanan et al. 2021 ("Efficient Large-Scale Language
 * Model Training on GPU Clusters Using Megatron-LM", eq. 3) without activation recomputation, the
 * formula the BLOOM paper uses for its throughput: 6 FLOPs per weight of every matrix multiply
 * (forward 2, backward 4) including the output projection (d x V, tied or not), plus the attention scores
 * and the weighted sum, 12 * layers * seq-len * d-model, counted over the full T x T square (no
 * saving for the causal mask, as Megatron counts). Norms, biases, softmax, activations and
 * position biases (ALiBi's, T5's relative one) are not counted.
 *
 * <p>An encoder-decoder ({@link EncoderDecoder}) is counted per sequence of the span-corruption
 * objective it trains on: an encoder input of S tokens and a decoder input of T tokens, S and T
 * those T5's span corruption makes of the longest sample whose input fits seq-len
 * ({@link SpanNoise#forEncoderLength}; 512 and 114 for seq-len 512). Each encoder token costs the
 * matrices of the encoder's layers and attention over S keys; each decoder token the matrices of
 * the decoder's layers (self-attention, cross-attention's query and output projections, MLP), the
 * output projection, self-attention over T keys and cross-attention over S keys (12 * layers * S *
 * d); the cross-attention's key and value projections run once per encoder token and layer, so they
 * are counted with the encoder's tokens. Its FLOPs per token are the FLOPs of a sequence over its
 * S + T tokens: the tokens a decoder-only model reads as one sequence to learn from the same input
 * and target.
 *
 * <p>Equal compute (Wang et al. 2022, "What Language Model Architecture and Pretraining Objective
 * Work Best for Zero-Shot Generalization?"): with as many layers per stack as the decoder has, an
 * encoder-decoder holds about twice its parameters (2 + 1/3 times the non-embedding ones: two
 * stacks and a cross-attention per decoder block) and costs about what the decoder costs per
 * sequence. Wang et al. matched tokens (a 4.8B decoder on 626 tokens against an 11B
 * encoder-decoder on 512 + 114). Counted as above, equal tokens are not equal compute: the
 * cross-attention adds 4 d^2 weights per layer (key and value projections on each encoder token,
 * query and output projections on each decoder token), while the S x T block of attention and the
 * output projection of the S encoder tokens are saved. Which wins depends on the width: the 1b3
 * shape's encoder-decoder whose S + T is 2048 costs 1.06x its decoder's FLOPs, the debug shape's on
 * 512 + 114 0.91x the decoder of 626. {@link #matchedDecoder} and {@link #matchedEncoderDecoder}
 * therefore match FLOPs per sequence ({@link #seqLenFor}): the same shape at the seq-len whose
 * training FLOPs per sequence come nearest (an encoder-decoder of seq-len 1593 for 1b3, 0.01% off).
 * With the same sequences per step and the same steps, the two spend the same training compute; the
 * preset families (conf's {@code PresetFamily}: tiny, tiny-non-causal, tiny-encoder-decoder, ...)
 * are made so.
 */
public record ModelSize(ModelConfig model) {

    /** Whether the model is an encoder-decoder, counted per stack. */
    private boolean encoderDecoder() {
        return model.architecture() == Architecture.ENCODER_DECODER;
    }

    /** Token embedding rows times width (when tied with the output projection, counted once; shared by both stacks). */
    public long tokenEmbedding() {
        return (long) model.paddedVocab() * model.dModel();
    }

    /** The untied output projection (lm_head); zero when it is the token embedding. */
    public long outputHead() {
        return model.tiedOutput() ? 0 : tokenEmbedding();
    }

    /**
     * Learned position weights, one table per stack: absolute embeddings (seq-len x d-model) or T5's
     * relative bias (buckets x heads); zero for the other position choices.
     */
    public long positionEmbedding() {
        long table = switch (model.position()) {
            case LEARNED -> (long) model.seqLen() * model.dModel();
            case RELATIVE -> (long) model.relativeBuckets() * model.heads();
            case NONE, ROTARY, ALIBI -> 0;
        };
        return encoderDecoder() ? 2 * table : table;
    }

    /** Parameters of one Transformer block: a decoder's, or an encoder-decoder's encoder block. */
    public long perLayer() {
        long d = model.dModel();
        long h = model.mlpHidden();
        long bias = model.bias() ? 1 : 0;
        long mlp = model.activation().gated() // SwiGLU, GEGLU: w1, w3 and w2; GELU, ReLU: fc and proj
                ? 2 * (d * h + bias * h) + (h * d + bias * d)
                : (d * h + bias * h) + (h * d + bias * d);
        return 2 * norm() + attention() + mlp;
    }

    /**
     * What an encoder-decoder's decoder block holds beyond {@link #perLayer}: its cross-attention
     * (as many weights as a self-attention) and the norm before it; zero for a decoder.
     */
    public long crossAttentionPerLayer() {
        return encoderDecoder() ? norm() + attention() : 0;
    }

    /** Everything except token and position embeddings and an untied output head (Kaplan et al.'s N). */
    public long nonEmbedding() {
        long embeddingNorm = model.embeddingLayerNorm() ? norm() : 0;
        long stack = model.layers() * perLayer() + embeddingNorm + norm();
        return encoderDecoder() ? 2 * stack + model.layers() * crossAttentionPerLayer() : stack;
    }

    /** All parameters. */
    public long total() {
        return tokenEmbedding() + positionEmbedding() + outputHead() + nonEmbedding();
    }

    /**
     * Every weight of the model by its name, with its shape, in the order {@link Gpt} or
     * {@link EncoderDecoder} creates them,
     * without allocating any: what a checkpoint's header is checked against before a model is
     * built. Tests check it against built models across the ablation matrix.
     */
    public Map<String, Shape> shapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        long d = model.dModel();
        out.put("wte", new Shape(model.paddedVocab(), d));
        if (encoderDecoder()) { // as EncoderDecoder creates them
            stack(out, "encoder.", false);
            stack(out, "decoder.", true);
        } else {
            stack(out, "", false);
        }
        if (!model.tiedOutput()) {
            out.put("lm_head.weight", new Shape(model.paddedVocab(), d));
        }
        return out;
    }

    /** One stack's weights: position table, embedding norm, blocks (with cross-attention in an encoder-decoder's decoder), final norm. */
    private void stack(Map<String, Shape> out, String prefix, boolean cross) {
        long d = model.dModel();
        if (model.position() == Position.LEARNED) {
            out.put(prefix + "wpe", new Shape(model.seqLen(), d));
        }
        if (model.position() == Position.RELATIVE) {
            out.put(prefix + "relative_bias", new Shape(model.relativeBuckets(), model.heads()));
        }
        if (model.embeddingLayerNorm()) {
            norm(out, prefix + "emb_ln.");
        }
        long h = model.mlpHidden();
        long attended = (long) model.heads() * model.headDim();
        boolean glu = model.activation().gated();
        for (int i = 0; i < model.layers(); i++) {
            String block = prefix + "h." + i + ".";
            norm(out, block + "ln1.");
            dense(out, block + "attn.qkv", qkvRows(), d);
            dense(out, block + "attn.proj", d, attended);
            if (cross) {
                norm(out, block + "ln_cross.");
                dense(out, block + "cross.q", attended, d);
                dense(out, block + "cross.kv", qkvRows() - attended, d);
                dense(out, block + "cross.proj", d, attended);
            }
            norm(out, block + "ln2.");
            dense(out, block + (glu ? "mlp.w1" : "mlp.fc"), h, d);
            if (glu) {
                dense(out, block + "mlp.w3", h, d);
            }
            dense(out, block + (glu ? "mlp.w2" : "mlp.proj"), d, h);
        }
        norm(out, prefix + "ln_f.");
    }

    /** Elements of the largest single weight (what loading one stages in Java arrays). */
    public long largestTensor() {
        long d = model.dModel();
        long rows = Math.max(Math.max(model.paddedVocab(), qkvRows()), model.mlpHidden());
        if (model.position() == Position.LEARNED) {
            rows = Math.max(rows, model.seqLen());
        }
        long relative = model.position() == Position.RELATIVE ? (long) model.relativeBuckets() * model.heads() : 0;
        return Math.max(rows * d, relative);
    }

    /** Tokens the encoder reads per training sequence: S (see the class comment); 0 for a decoder. */
    public int encoderLength() {
        return encoderDecoder() ? spanCounts().encoderLength() : 0;
    }

    /** Tokens the decoder reads per training sequence: seq-len for a decoder, T for an encoder-decoder. */
    public int decoderLength() {
        return encoderDecoder() ? spanCounts().decoderLength() : model.seqLen();
    }

    /** Tokens FLOPs per token are counted over: seq-len for a decoder, S + T for an encoder-decoder. */
    public int tokensPerSequence() {
        return encoderLength() + decoderLength();
    }

    /** Training FLOPs per token (see the class comment). */
    public double flopsPerToken() {
        if (encoderDecoder()) {
            return flopsPerSequence() / tokensPerSequence();
        }
        long d = model.dModel();
        double matmulWeights = model.layers() * (double) matmulWeightsPerLayer() + (double) d * model.paddedVocab();
        double attention = 12.0 * model.layers() * model.seqLen() * d;
        return 6.0 * matmulWeights + attention;
    }

    /** Training FLOPs of one sequence (see the class comment). */
    public double flopsPerSequence() {
        if (!encoderDecoder()) {
            return flopsPerToken() * model.seqLen();
        }
        double layers = model.layers();
        double d = model.dModel();
        double s = encoderLength();
        double t = decoderLength();
        double qkv = qkvRows() * d;
        double kv = qkv - d * d; // the key and value rows of qkv: (2 KV hs) x d
        double crossPerDecoderToken = 2 * d * d; // query and output projections
        double encoderToken = 6 * layers * (matmulWeightsPerLayer() + kv) + 12 * layers * s * d;
        double decoderToken = 6 * (layers * (matmulWeightsPerLayer() + crossPerDecoderToken) + d * model.paddedVocab())
                + 12 * layers * t * d + 12 * layers * s * d;
        return s * encoderToken + t * decoderToken;
    }

    /**
     * Tokens of one optimizer step as runs, reports and benchmarks count them: global batch size x
     * {@link #tokensPerSequence} (S + T per sequence for an encoder-decoder, so that tokens, tokens/s
     * and accuracy against tokens compare across architectures at equal compute).
     */
    public static long tokensPerStep(RunConfig run) {
        return (long) run.train().globalBatchSize() * new ModelSize(run.model()).tokensPerSequence();
    }

    /** Kaplan et al. 2020's C = 6N (N without embeddings), for comparison; per stack for an encoder-decoder. */
    public double kaplanFlopsPerToken() {
        if (!encoderDecoder()) {
            return 6.0 * nonEmbedding();
        }
        long embeddingNorm = model.embeddingLayerNorm() ? norm() : 0;
        double encoder = model.layers() * perLayer() + embeddingNorm + norm();
        double decoder = encoder + model.layers() * crossAttentionPerLayer();
        return 6.0 * (encoderLength() * encoder + decoderLength() * decoder) / tokensPerSequence();
    }

    /**
     * Activations kept for the backward pass of one sequence, in bytes, with 16-bit activations:
     * Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models",
     * eq. 1) per layer, s*d*(34 + 5*a*s/d), plus the logits and their softmax in fp32 (4*s*V*2).
     * For fp32 activations, roughly double it. An encoder-decoder's encoder layers count at s = S,
     * its decoder layers at s = T plus a cross-attention sublayer, taken as the paper's attention
     * with T queries over S keys and a norm: T*d*13 + 5*a*T*S; logits are the decoder's.
     */
    public double activationBytesPerSequence() {
        double d = model.dModel();
        double a = model.heads();
        if (!encoderDecoder()) {
            double s = model.seqLen();
            double perLayer = s * d * (34 + 5 * a * s / d);
            return model.layers() * perLayer + 8.0 * s * model.paddedVocab();
        }
        double s = encoderLength();
        double t = decoderLength();
        double encoder = s * d * (34 + 5 * a * s / d);
        double decoder = t * d * (34 + 5 * a * t / d) + t * d * 13 + 5 * a * t * s;
        return model.layers() * (encoder + decoder) + 8.0 * t * model.paddedVocab();
    }

    /** Weights, gradients and AdamW's two moments: 16 bytes per parameter in fp32 training or in
     *  mixed precision with fp32 master weights (Rajbhandari et al. 2020, ZeRO section 3). */
    public double trainingStateBytes() {
        return 16.0 * total();
    }

    /**
     * The causal decoder this encoder-decoder is compared with at equal compute: the same shape at the
     * seq-len whose FLOPs per sequence are nearest this model's (see the class comment). A decoder
     * is returned as it is.
     */
    public ModelConfig matchedDecoder() {
        if (!encoderDecoder()) {
            return model;
        }
        int seqLen = seqLenFor(model.withArchitecture(Architecture.CAUSAL_DECODER, model.seqLen()), flopsPerSequence());
        return model.withArchitecture(Architecture.CAUSAL_DECODER, seqLen);
    }

    /**
     * The encoder-decoder this decoder is compared with at equal compute: the same shape with the
     * seq-len (its encoder's length S) whose FLOPs per sequence are nearest this decoder's. An
     * encoder-decoder is returned as it is.
     */
    public ModelConfig matchedEncoderDecoder() {
        if (encoderDecoder()) {
            return model;
        }
        int seqLen = seqLenFor(model.withArchitecture(Architecture.ENCODER_DECODER, model.seqLen()), flopsPerSequence());
        return model.withArchitecture(Architecture.ENCODER_DECODER, seqLen);
    }

    /**
     * The seq-len at which {@code model}, otherwise unchanged, costs the training FLOPs per sequence
     * nearest {@code flops} (the shorter of two equally near; at least 1, 2 for an
     * encoder-decoder). FLOPs per sequence never fall as seq-len grows, so a doubling search
     * brackets it and a binary search finds it.
     */
    public static int seqLenFor(ModelConfig model, double flops) {
        int low = model.architecture() == Architecture.ENCODER_DECODER ? 2 : 1; // an encoder input holds a token and EOS
        if (flopsAt(model, low) >= flops) {
            return low;
        }
        int high = low; // flopsAt(low) < flops throughout; find a high with flopsAt(high) >= flops
        while (flopsAt(model, high) < flops) {
            if (high > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("no seq-len of " + model.architecture().key() + " reaches " + flops + " FLOPs per sequence");
            }
            low = high;
            high *= 2;
        }
        while (high - low > 1) {
            int mid = (low + high) >>> 1;
            if (flopsAt(model, mid) < flops) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return flops - flopsAt(model, low) <= flopsAt(model, high) - flops ? low : high;
    }

    private static double flopsAt(ModelConfig model, int seqLen) {
        return new ModelSize(model.withArchitecture(model.architecture(), seqLen)).flopsPerSequence();
    }

    /** The span-corruption lengths of an encoder-decoder: of the longest sample whose input fits seq-len. */
    private SpanCounts spanCounts() {
        return SpanNoise.T5.forEncoderLength(Math.max(2, model.seqLen()));
    }

    /** Weights of one self-attention (or cross-attention): the query, key and value projections and the output projection. */
    private long attention() {
        long d = model.dModel();
        long qkv = qkvRows();
        long bias = model.bias() ? 1 : 0;
        return (qkv * d + bias * qkv) + (d * d + bias * d);
    }

    private long matmulWeightsPerLayer() {
        long d = model.dModel();
        long h = model.mlpHidden();
        long mlp = model.activation().gated() ? 3 * d * h : 2 * d * h;
        return qkvRows() * d + d * d + mlp;
    }

    /** Outputs of the fused QKV projection: d for queries, and as many for keys and values as their heads take. */
    private long qkvRows() {
        return (long) (model.heads() + 2 * model.keyValueHeads()) * model.headDim();
    }

    private void norm(Map<String, Shape> out, String prefix) {
        out.put(prefix + "weight", new Shape(model.dModel()));
        if (model.norm() == Norm.LAYERNORM) {
            out.put(prefix + "bias", new Shape(model.dModel()));
        }
    }

    /** A linear layer's weight (out, in) and, with biases on, its bias (out). */
    private void dense(Map<String, Shape> out, String name, long rows, long cols) {
        out.put(name + ".weight", new Shape(rows, cols));
        if (model.bias()) {
            out.put(name + ".bias", new Shape(rows));
        }
    }

    /** Parameters of one normalization: gain and bias (LayerNorm) or gain alone (RMSNorm). */
    private long norm() {
        return model.norm() == Norm.LAYERNORM ? 2L * model.dModel() : model.dModel();
    }
}
