package ablate.trainer.model;

import ablate.conf.Activation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
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
 * saving for the causal mask, as Megatron counts). Norms, biases, softmax and activations are not
 * counted.
 */
public record ModelSize(ModelConfig model) {

    /** Token embedding rows times width (when tied with the output projection, counted once). */
    public long tokenEmbedding() {
        return (long) model.paddedVocab() * model.dModel();
    }

    /** The untied output projection (lm_head); zero when it is the token embedding. */
    public long outputHead() {
        return model.tiedOutput() ? 0 : tokenEmbedding();
    }

    /** Learned absolute position embeddings; zero for the other position choices. */
    public long positionEmbedding() {
        return model.position() == Position.LEARNED ? (long) model.seqLen() * model.dModel() : 0;
    }

    /** Parameters of one Transformer block. */
    public long perLayer() {
        long d = model.dModel();
        long h = model.mlpHidden();
        long qkv = qkvRows();
        long bias = model.bias() ? 1 : 0;
        long attention = (qkv * d + bias * qkv) + (d * d + bias * d);
        long mlp = model.activation() == Activation.GELU
                ? (d * h + bias * h) + (h * d + bias * d)
                : 2 * (d * h + bias * h) + (h * d + bias * d);
        return 2 * norm() + attention + mlp;
    }

    /** Everything except token and position embeddings and an untied output head (Kaplan et al.'s N). */
    public long nonEmbedding() {
        long embeddingNorm = model.embeddingLayerNorm() ? norm() : 0;
        return model.layers() * perLayer() + embeddingNorm + norm();
    }

    /** All parameters. */
    public long total() {
        return tokenEmbedding() + positionEmbedding() + outputHead() + nonEmbedding();
    }

    /**
     * Every weight of the model by its name, with its shape, in the order {@link Gpt} creates them,
     * without allocating any: what a checkpoint's header is checked against before a model is
     * built. Tests check it against built models across the ablation matrix.
     */
    public Map<String, Shape> shapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        long d = model.dModel();
        out.put("wte", new Shape(model.paddedVocab(), d));
        if (model.position() == Position.LEARNED) {
            out.put("wpe", new Shape(model.seqLen(), d));
        }
        if (model.embeddingLayerNorm()) {
            norm(out, "emb_ln.");
        }
        long h = model.mlpHidden();
        boolean glu = model.activation() == Activation.SWIGLU;
        for (int i = 0; i < model.layers(); i++) {
            String block = "h." + i + ".";
            norm(out, block + "ln1.");
            dense(out, block + "attn.qkv", qkvRows(), d);
            dense(out, block + "attn.proj", d, (long) model.heads() * model.headDim());
            norm(out, block + "ln2.");
            dense(out, block + (glu ? "mlp.w1" : "mlp.fc"), h, d);
            if (glu) {
                dense(out, block + "mlp.w3", h, d);
            }
            dense(out, block + (glu ? "mlp.w2" : "mlp.proj"), d, h);
        }
        norm(out, "ln_f.");
        if (!model.tiedOutput()) {
            out.put("lm_head.weight", new Shape(model.paddedVocab(), d));
        }
        return out;
    }

    /** Elements of the largest single weight (what loading one stages in Java arrays). */
    public long largestTensor() {
        long d = model.dModel();
        long rows = Math.max(Math.max(model.paddedVocab(), qkvRows()), model.mlpHidden());
        if (model.position() == Position.LEARNED) {
            rows = Math.max(rows, model.seqLen());
        }
        return rows * d;
    }

    /** Training FLOPs per token (see the class comment). */
    public double flopsPerToken() {
        long d = model.dModel();
        double matmulWeights = model.layers() * (double) matmulWeightsPerLayer() + (double) d * model.paddedVocab();
        double attention = 12.0 * model.layers() * model.seqLen() * d;
        return 6.0 * matmulWeights + attention;
    }

    /** Kaplan et al. 2020's C = 6N (N without embeddings), for comparison. */
    public double kaplanFlopsPerToken() {
        return 6.0 * nonEmbedding();
    }

    /**
     * Activations kept for the backward pass of one sequence, in bytes, with 16-bit activations:
     * Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models",
     * eq. 1) per layer, s*d*(34 + 5*a*s/d), plus the logits and their softmax in fp32 (4*s*V*2).
     * For fp32 activations, roughly double it.
     */
    public double activationBytesPerSequence() {
        double s = model.seqLen();
        double d = model.dModel();
        double a = model.heads();
        double perLayer = s * d * (34 + 5 * a * s / d);
        return model.layers() * perLayer + 8.0 * s * model.paddedVocab();
    }

    /** Weights, gradients and AdamW's two moments: 16 bytes per parameter in fp32 training or in
     *  mixed precision with fp32 master weights (Rajbhandari et al. 2020, ZeRO section 3). */
    public double trainingStateBytes() {
        return 16.0 * total();
    }

    private long matmulWeightsPerLayer() {
        long d = model.dModel();
        long h = model.mlpHidden();
        long mlp = model.activation() == Activation.GELU ? 2 * d * h : 3 * d * h;
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
