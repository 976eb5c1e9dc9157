package ablate.trainer.hf;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.trainer.hf.HfActivation.Mlp;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face {@code config.json} in the model family's terms: read into {@code model.*}
 * settings (the vocabulary is never re-padded: logits cover exactly vocab_size rows), or written
 * from a {@link ModelConfig} for the one architecture that expresses it. Key meanings follow
 * transformers' configuration and modeling files; anything that would change the forward pass in
 * a way the family cannot follow fails naming the key.
 */
final class HfConfig {
    /** The BLOOM config has no context length; lm-evaluation-harness then uses 2048. */
    static final int DEFAULT_SEQ_LEN = 2048;
    /** T5's relative positions have no length limit; without n_positions, the 512 tokens T5 was trained on. */
    static final int T5_SEQ_LEN = 512;

    /**
     * A config.json read: its architecture, the model settings that reproduce it, and the
     * config.json key each size setting came from (layers to n_layer, d-model to hidden_size, ...),
     * for errors that name the key.
     */
    record Imported(Architecture architecture, Map<String, Object> settings, Map<String, String> keys) {
        int size(String setting) {
            return (Integer) settings.get(setting);
        }
    }

    private final JsonNode json;
    private final Path file;
    private final Map<String, String> keys = new LinkedHashMap<>();

    private HfConfig(JsonNode json, Path file) {
        this.json = json;
        this.file = file;
    }

    static Imported read(Path file) throws IOException {
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException(file + " is not a JSON object");
        }
        HfConfig c = new HfConfig(json, file);
        Architecture arch = Architecture.of(c.string("model_type", ""), file.toString());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("pad-vocab-to-multiple-of", 1);
        s.put("attention-mask", "causal");
        s.put("dropout", 0.0);
        c.size(s, "vocab-size", "vocab_size");
        s.put("init-std", c.number("initializer_range", 0.02));
        c.refuse("rope_scaling", "rope scaling (extended context) is not supported");
        switch (arch) {
            case GPT2 -> {
                int d = c.size(s, "d-model", "n_embd");
                c.size(s, "layers", "n_layer");
                c.size(s, "heads", "n_head");
                c.size(s, "seq-len", "n_positions");
                if (json.path("n_inner").isNumber()) {
                    c.size(s, "mlp-hidden", "n_inner");
                } else {
                    s.put("mlp-hidden", 4L * d); // a long: a huge n_embd fails on model.mlp-hidden's bound, never overflows
                }
                s.put("position", "learned");
                c.ungated(s, "activation_function", "gelu_new");
                s.put("layernorm-epsilon", c.number("layer_norm_epsilon", 1e-5));
                s.put("tied-output", c.bool("tie_word_embeddings", true));
                c.require("scale_attn_weights", true, "unscaled attention is not supported");
                c.require("scale_attn_by_inverse_layer_idx", false, "scaling attention by the layer index is not supported");
                c.require("add_cross_attention", false, "cross-attention is not supported");
            }
            case BLOOM -> {
                int d = c.size(s, "d-model", json.has("n_embed") ? "n_embed" : "hidden_size");
                c.size(s, "layers", "n_layer");
                c.size(s, "heads", "n_head");
                if (json.has("seq_length")) {
                    c.size(s, "seq-len", "seq_length");
                } else {
                    s.put("seq-len", DEFAULT_SEQ_LEN);
                }
                s.put("mlp-hidden", 4L * d);
                s.put("position", "alibi");
                s.put("embedding-layernorm", true);
                s.put("activation", "gelu");
                s.put("gelu-approximation", "tanh");
                s.put("layernorm-epsilon", c.number("layer_norm_epsilon", 1e-5));
                s.put("tied-output", c.bool("tie_word_embeddings", true));
                c.require("apply_residual_connection_post_layernorm", false, "residuals taken after the LayerNorm are not supported");
            }
            case GPT_NEOX -> {
                int d = c.size(s, "d-model", "hidden_size");
                int heads = c.positive(c.size(s, "heads", "num_attention_heads"), "num_attention_heads");
                double pct = json.has("partial_rotary_factor") ? c.number("partial_rotary_factor", 1) : c.number("rotary_pct", 0.25);
                int rotaryDims = (int) ((d / heads) * pct); // transformers: int(head_size * rotary_pct)
                if (rotaryDims <= 0 || rotaryDims % 2 != 0) {
                    throw c.problem(json.has("partial_rotary_factor") ? "partial_rotary_factor" : "rotary_pct",
                            "rotates " + rotaryDims + " of " + (d / heads) + " dimensions per head; GPT-NeoX without rotary "
                                    + "(or with an odd count) is not supported");
                }
                c.size(s, "layers", "num_hidden_layers");
                c.size(s, "seq-len", "max_position_embeddings");
                c.size(s, "mlp-hidden", "intermediate_size");
                s.put("position", "rotary");
                s.put("rotary-fraction", (double) rotaryDims / (d / heads));
                s.put("rotary-base", json.has("rope_theta") ? c.number("rope_theta", 10000) : c.number("rotary_emb_base", 10000));
                c.ungated(s, "hidden_act", "gelu");
                s.put("layernorm-epsilon", c.number("layer_norm_eps", 1e-5));
                s.put("parallel-residual", c.bool("use_parallel_residual", true));
                s.put("tied-output", c.bool("tie_word_embeddings", false));
                c.require("attention_bias", true, "GPT-NeoX attention without biases next to an MLP with biases is not supported");
            }
            case LLAMA -> {
                int d = c.size(s, "d-model", "hidden_size");
                int heads = c.positive(c.size(s, "heads", "num_attention_heads"), "num_attention_heads");
                if (json.path("head_dim").isNumber() && c.integer("head_dim") != d / heads) {
                    throw c.problem("head_dim", "is " + c.integer("head_dim") + "; only hidden_size / num_attention_heads = "
                            + d / heads + " is supported");
                }
                boolean attentionBias = c.bool("attention_bias", false);
                if (attentionBias != c.bool("mlp_bias", false)) {
                    throw c.problem("attention_bias", "differs from mlp_bias; biases on some linear layers only are not supported");
                }
                c.size(s, "layers", "num_hidden_layers");
                if (json.path("num_key_value_heads").isNumber()) {
                    c.size(s, "kv-heads", "num_key_value_heads");
                } else {
                    s.put("kv-heads", heads);
                }
                c.size(s, "seq-len", "max_position_embeddings");
                c.size(s, "mlp-hidden", "intermediate_size");
                s.put("position", "rotary");
                s.put("rotary-base", c.number("rope_theta", 10000));
                c.gated(s, "hidden_act", "silu");
                s.put("norm", "rmsnorm");
                s.put("bias", attentionBias);
                s.put("layernorm-epsilon", c.number("rms_norm_eps", 1e-6));
                s.put("tied-output", c.bool("tie_word_embeddings", false));
            }
            case T5 -> {
                int d = c.size(s, "d-model", "d_model");
                int heads = c.positive(c.size(s, "heads", "num_heads"), "num_heads");
                int layers = c.size(s, "layers", "num_layers");
                if (json.path("num_decoder_layers").isNumber() && c.integer("num_decoder_layers") != layers) {
                    throw c.problem("num_decoder_layers", "is " + c.integer("num_decoder_layers") + " where num_layers is " + layers
                            + "; an ablate encoder-decoder has model.layers blocks in each stack");
                }
                if (c.integer("d_kv") * (long) heads != d) {
                    throw c.problem("d_kv", "is " + c.integer("d_kv") + "; only d_model / num_heads = " + (double) d / heads
                            + " is supported (ablate's heads split d-model)");
                }
                c.require("is_encoder_decoder", true, "a T5 without its decoder is not supported");
                c.size(s, "mlp-hidden", "d_ff");
                if (json.path("n_positions").isNumber()) {
                    c.size(s, "seq-len", "n_positions");
                } else {
                    s.put("seq-len", T5_SEQ_LEN);
                }
                c.t5FeedForward(s);
                s.put("architecture", "encoder-decoder");
                s.put("position", "relative");
                s.put("relative-buckets", json.has("relative_attention_num_buckets")
                        ? c.integer("relative_attention_num_buckets") : ablate.conf.ModelConfig.DEFAULT_RELATIVE_BUCKETS);
                s.put("relative-max-distance", json.has("relative_attention_max_distance")
                        ? c.integer("relative_attention_max_distance") : ablate.conf.ModelConfig.DEFAULT_RELATIVE_MAX_DISTANCE);
                s.put("norm", "rmsnorm");
                s.put("bias", false);
                s.put("layernorm-epsilon", c.number("layer_norm_epsilon", 1e-6));
                s.put("tied-output", c.bool("tie_word_embeddings", true));
            }
        }
        return new Imported(arch, s, Map.copyOf(c.keys));
    }

    /** The architecture that expresses {@code m} exactly, or an error naming the setting that prevents it. */
    static Architecture architectureFor(ModelConfig m) {
        if (m.architecture() == ablate.conf.Architecture.ENCODER_DECODER) {
            return t5For(m);
        }
        if (m.attentionMask() == AttentionMask.PREFIX) {
            throw cannot("model.attention-mask = prefix", "every Hugging Face causal LM is causal", "any (train with attention-mask = causal)");
        }
        if (m.parallelResidual() && !(m.position() == Position.ROTARY && !m.activation().gated())) {
            throw cannot("model.parallel-residual = on", "only gpt_neox has a parallel residual", "gpt_neox");
        }
        Architecture arch = switch (m.position()) {
            case NONE -> throw cannot("model.position = none", "no supported architecture runs without positions", "gpt2 (learned)");
            case RELATIVE -> throw cannot("model.position = relative", "Hugging Face has T5's relative bias in t5 only, an"
                    + " encoder-decoder", "t5 (model.architecture = encoder-decoder)");
            case LEARNED -> Architecture.GPT2;
            case ALIBI -> Architecture.BLOOM;
            case ROTARY -> m.activation().gated() ? Architecture.LLAMA : Architecture.GPT_NEOX;
        };
        if (arch == Architecture.LLAMA) {
            need(m.norm() == Norm.RMSNORM, "model.norm = layernorm", arch);
            need(!m.embeddingLayerNorm(), "model.embedding-layernorm = on", arch);
            need(m.rotaryDim() == m.headDim(), "model.rotary-fraction = " + m.rotaryFraction(), arch);
            return arch;
        }
        if (m.activation().gated()) { // LLAMA took the gated MLPs with rotary positions above
            throw cannot("model.activation = " + lower(m.activation()), arch.modelType + "'s MLP is ungated ("
                    + (arch == Architecture.BLOOM ? "tanh GELU" : "GELU or ReLU") + "); the only gated MLP exported to a decoder is"
                    + " llama's (SwiGLU, or GEGLU through its hidden_act)", "llama (rotary, " + lower(m.activation()) + ")");
        }
        need(m.norm() == Norm.LAYERNORM, "model.norm = rmsnorm", arch);
        need(m.bias(), "model.bias = off", arch);
        need(m.keyValueHeads() == m.heads(), "model.kv-heads = " + m.kvHeads(), arch);
        need(m.embeddingLayerNorm() == (arch == Architecture.BLOOM), "model.embedding-layernorm = " + (m.embeddingLayerNorm() ? "on" : "off"), arch);
        if (arch == Architecture.BLOOM) {
            need(m.activation() == Activation.GELU, "model.activation = relu (bloom's MLP is tanh GELU)", arch);
            need(m.geluApproximation() == GeluApproximation.TANH, "model.gelu-approximation = none (exact GELU)", arch);
            need(m.mlpHidden() == 4 * m.dModel(), "an MLP hidden size of " + m.mlpHidden() + " (not 4 * d-model)", arch);
        }
        return arch;
    }

    /**
     * t5 for an encoder-decoder that T5ForConditionalGeneration computes exactly: T5's relative bias
     * (or no positions, written as zero bias tables), RMSNorm, no biases, no embedding norm, GELU or
     * ReLU (T5 v1.0), SwiGLU (gated-silu) or GEGLU (gated-gelu, T5 v1.1), one key/value head per query
     * head; tied or untied output.
     */
    private static Architecture t5For(ModelConfig m) {
        Architecture t5 = Architecture.T5;
        if (m.position() != Position.RELATIVE && m.position() != Position.NONE) {
            throw cannot("model.position = " + m.position().name().toLowerCase(java.util.Locale.ROOT), "t5's only positions are its"
                    + " relative bias (model.position = relative; none is written as a zero bias)", t5.modelType);
        }
        need(m.norm() == Norm.RMSNORM, "model.norm = layernorm", t5);
        need(!m.bias(), "model.bias = on", t5);
        need(!m.embeddingLayerNorm(), "model.embedding-layernorm = on", t5);
        need(m.keyValueHeads() == m.heads(), "model.kv-heads = " + m.kvHeads(), t5);
        need(!m.parallelResidual(), "model.parallel-residual = on", t5);
        return t5;
    }

    /** config.json for {@code m}, as transformers writes it for the architecture. */
    static ObjectNode write(ModelConfig m, Architecture arch, int eosId) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.putArray("architectures").add(arch.className);
        o.put("model_type", arch.modelType);
        o.put("vocab_size", m.paddedVocab());
        o.put("initializer_range", m.initStd());
        o.put("bos_token_id", eosId);
        o.put("eos_token_id", eosId);
        o.put("tie_word_embeddings", m.tiedOutput());
        o.put("torch_dtype", "float32");
        switch (arch) {
            case GPT2 -> {
                o.put("n_embd", m.dModel());
                o.put("n_layer", m.layers());
                o.put("n_head", m.heads());
                o.put("n_positions", m.seqLen());
                o.put("n_ctx", m.seqLen());
                o.put("n_inner", m.mlpHidden());
                o.put("activation_function", HfActivation.ungatedName(m));
                o.put("layer_norm_epsilon", m.layerNormEpsilon());
                o.put("resid_pdrop", 0.0);
                o.put("embd_pdrop", 0.0);
                o.put("attn_pdrop", 0.0);
                o.put("scale_attn_weights", true);
                o.put("scale_attn_by_inverse_layer_idx", false);
                o.put("reorder_and_upcast_attn", false);
            }
            case BLOOM -> {
                o.put("hidden_size", m.dModel());
                o.put("n_layer", m.layers());
                o.put("n_head", m.heads());
                o.put("seq_length", m.seqLen());
                o.put("layer_norm_epsilon", m.layerNormEpsilon());
                o.put("apply_residual_connection_post_layernorm", false);
                o.put("hidden_dropout", 0.0);
                o.put("attention_dropout", 0.0);
                o.put("pretraining_tp", 1);
                o.put("slow_but_exact", false);
            }
            case GPT_NEOX -> {
                o.put("hidden_size", m.dModel());
                o.put("num_hidden_layers", m.layers());
                o.put("num_attention_heads", m.heads());
                o.put("intermediate_size", m.mlpHidden());
                o.put("hidden_act", HfActivation.ungatedName(m));
                o.put("rotary_pct", (double) m.rotaryDim() / m.headDim());
                o.put("rotary_emb_base", m.rotaryBase());
                o.put("max_position_embeddings", m.seqLen());
                o.put("layer_norm_eps", m.layerNormEpsilon());
                o.put("use_parallel_residual", m.parallelResidual());
                o.put("attention_bias", true);
                o.putNull("rope_scaling");
                o.put("hidden_dropout", 0.0);
                o.put("attention_dropout", 0.0);
            }
            case LLAMA -> {
                o.put("hidden_size", m.dModel());
                o.put("num_hidden_layers", m.layers());
                o.put("num_attention_heads", m.heads());
                o.put("num_key_value_heads", m.keyValueHeads());
                o.put("head_dim", m.headDim());
                o.put("intermediate_size", m.mlpHidden());
                o.put("hidden_act", HfActivation.gatedName(m));
                o.put("max_position_embeddings", m.seqLen());
                o.put("rms_norm_eps", m.layerNormEpsilon());
                o.put("rope_theta", m.rotaryBase());
                o.putNull("rope_scaling");
                o.put("attention_bias", m.bias());
                o.put("mlp_bias", m.bias());
                o.put("attention_dropout", 0.0);
                o.put("pretraining_tp", 1);
            }
            case T5 -> {
                o.remove("bos_token_id"); // T5 has none; its decoder starts with decoder_start_token_id
                o.put("pad_token_id", eosId);
                o.put("decoder_start_token_id", eosId); // ablate's decoder starts with EOS (BART's convention)
                o.put("is_encoder_decoder", true);
                o.put("d_model", m.dModel());
                o.put("d_kv", m.headDim());
                o.put("d_ff", m.mlpHidden());
                o.put("num_layers", m.layers());
                o.put("num_decoder_layers", m.layers());
                o.put("num_heads", m.heads());
                o.put("relative_attention_num_buckets", m.relativeBuckets());
                o.put("relative_attention_max_distance", m.relativeMaxDistance());
                o.put("n_positions", m.seqLen());
                o.put("feed_forward_proj", switch (m.activation()) {
                    case GELU, RELU -> HfActivation.ungatedName(m);
                    case SWIGLU -> "gated-silu";
                    // T5Config reads "gated-gelu" as gelu_new; exact GELU is ACT2FN's gelu_python (x/2 (1 + erf(x / sqrt 2)))
                    case GEGLU -> m.geluApproximation() == GeluApproximation.TANH ? "gated-gelu" : "gated-gelu_python";
                });
                o.put("layer_norm_epsilon", m.layerNormEpsilon());
                o.put("dropout_rate", 0.0);
                o.put("initializer_factor", 1.0);
                o.put("use_cache", true);
            }
        }
        return o;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void need(boolean ok, String setting, Architecture closest) {
        if (!ok) {
            throw cannot(setting, closest.modelType + " cannot express it", closest.modelType);
        }
    }

    private static IllegalArgumentException cannot(String setting, String why, String closest) {
        return new IllegalArgumentException("cannot export " + setting + ": " + why + "; the closest architecture is " + closest);
    }

    private IllegalArgumentException problem(String key, String what) {
        return new IllegalArgumentException(file + ": " + key + " " + what);
    }

    /** Reads a size into {@code settings} and remembers which key it came from. */
    private int size(Map<String, Object> settings, String setting, String key) {
        int value = integer(key);
        settings.put(setting, value);
        keys.put(setting, key);
        return value;
    }

    private int positive(int value, String key) {
        if (value <= 0) {
            throw problem(key, "must be positive, got " + value);
        }
        return value;
    }

    /** A whole number within int's range: 10.5 or 1e12 are refused, never truncated. */
    private int integer(String key) {
        JsonNode n = json.get(key);
        if (n == null || !n.isNumber() || n.asDouble() != Math.rint(n.asDouble())) {
            throw problem(key, n == null ? "is missing" : "must be an integer, got " + n);
        }
        if (!n.canConvertToInt()) {
            throw problem(key, "= " + n + " is beyond the largest supported size, " + Integer.MAX_VALUE);
        }
        return n.asInt();
    }

    private double number(String key, double otherwise) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isNumber()) {
            throw problem(key, "must be a number, got " + n);
        }
        return n.asDouble();
    }

    private boolean bool(String key, boolean otherwise) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isBoolean()) {
            throw problem(key, "must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    private String string(String key, String otherwise) {
        JsonNode n = json.get(key);
        return n == null || n.isNull() ? otherwise : n.asText();
    }

    private void require(String key, boolean expected, String why) {
        if (bool(key, expected) != expected) {
            throw problem(key, "= " + !expected + ": " + why);
        }
    }

    private void refuse(String key, String why) {
        JsonNode n = json.get(key);
        if (n != null && !n.isNull()) {
            throw problem(key, "= " + n + ": " + why);
        }
    }

    /**
     * T5's feed_forward_proj, "ACT" or "gated-ACT" (T5Config: the gated form multiplies act(wi_0 x)
     * by wi_1 x; "gated-gelu" alone stands for gated-gelu_new): relu (T5 v1.0) and the GELUs
     * ungated, silu gated as SwiGLU (gated-silu), the GELUs gated as GEGLU (gated-gelu: T5 v1.1,
     * Flan-T5). The dense_act_fn and is_gated_act that newer transformers save beside it (and that
     * then win when the config loads) must say the same.
     */
    private void t5FeedForward(Map<String, Object> s) {
        String proj = string("feed_forward_proj", "relu");
        String[] parts = proj.split("-", -1);
        boolean gated = parts.length == 2 && parts[0].equals("gated");
        boolean wellFormed = parts.length == 1 || gated;
        String act = proj.equals("gated-gelu") ? "gelu_new" : parts[parts.length - 1];
        Mlp mlp = (wellFormed ? Mlp.named(gated, act) : Optional.<Mlp>empty()).orElseThrow(() ->
                problem("feed_forward_proj", "'" + proj + "' is not supported: ablate's MLP is relu (T5 v1.0), GELU (gelu,"
                        + " gelu_new, ...), SwiGLU (gated-silu) or GEGLU (gated-gelu: T5 v1.1, Flan-T5)"));
        if (bool("is_gated_act", gated) != gated) {
            throw problem("is_gated_act", "= " + !gated + " disagrees with feed_forward_proj = '" + proj + "'; make them agree");
        }
        String dense = string("dense_act_fn", act);
        if (!Mlp.named(gated, dense).equals(Optional.of(mlp))) {
            throw problem("dense_act_fn", "= '" + dense + "' disagrees with feed_forward_proj = '" + proj + "' (transformers"
                    + " versions differ in which one wins); make them agree");
        }
        mlp.putInto(s);
    }

    /** An ungated MLP's activation by the transformers ACT2FN name in {@code key}: relu, or a GELU flavour. */
    private void ungated(Map<String, Object> s, String key, String otherwise) {
        String name = string(key, otherwise);
        Mlp.named(false, name).orElseThrow(() -> problem(key, "'" + name + "' is not supported (relu, gelu, gelu_python,"
                + " gelu_new, gelu_pytorch_tanh and gelu_fast are)")).putInto(s);
    }

    /** A gated MLP's activation by the transformers ACT2FN name in {@code key}: silu (SwiGLU) or a GELU flavour (GEGLU). */
    private void gated(Map<String, Object> s, String key, String otherwise) {
        String name = string(key, otherwise);
        Mlp.named(true, name).orElseThrow(() -> problem(key, "'" + name + "' is not supported (silu for SwiGLU; gelu,"
                + " gelu_python, gelu_new, gelu_pytorch_tanh and gelu_fast for GEGLU)")).putInto(s);
    }
}
