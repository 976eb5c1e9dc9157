package ablate.trainer.hf;

import ablate.conf.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hugging Face architectures the model family holds exactly, and how each names and lays out
 * the weights of {@code ablate.trainer.model.Gpt} (the causal LMs) or of
 * {@code ablate.trainer.model.EncoderDecoder} (T5). Layouts were read from transformers' modeling
 * files (models/{gpt2,bloom,gpt_neox,llama,t5}/modeling_*.py):
 * <ul>
 *   <li>GPT-2's Conv1D stores (in, out), the transpose of a Linear; c_attn is [q | k | v];
 *   <li>BLOOM's and GPT-NeoX's fused query_key_value rows are grouped per head, (heads, 3, hs),
 *       where ablate's are [q | k | v] with heads contiguous inside each;
 *   <li>LLaMA keeps q_proj, k_proj and v_proj apart (k and v with num_key_value_heads heads);
 *   <li>T5 keeps q, k, v and o apart in its self- and cross-attention (EncDecAttention), and
 *       computes two things ablate does not, which are folded into weights: its attention scores
 *       are not scaled by hs^-1/2 (ablate's query rows are T5's times hs^1/2), and a tied head
 *       scales the decoder's output by d^-1/2 (ablate's decoder final norm gain is T5's times
 *       d^-1/2). Both are exact when hs and d are powers of 4 (T5's hs of 64 is), rounded once
 *       otherwise. Its relative_attention_bias (in block 0 of each stack) is ablate's
 *       encoder/decoder.relative_bias.
 * </ul>
 */
public enum Architecture {
    GPT2("gpt2", "GPT2LMHeadModel", "transformer."),
    BLOOM("bloom", "BloomForCausalLM", "transformer."),
    GPT_NEOX("gpt_neox", "GPTNeoXForCausalLM", "gpt_neox."),
    LLAMA("llama", "LlamaForCausalLM", "model."),
    T5("t5", "T5ForConditionalGeneration", "");

    private static final Pattern LAYER = Pattern.compile("h\\.(\\d+)\\.(.+)");
    private static final Pattern STACK_LAYER = Pattern.compile("(encoder|decoder)\\.h\\.(\\d+)\\.(.+)");

    /** config.json's model_type. */
    public final String modelType;
    /** config.json's architectures[0]. */
    public final String className;
    /** What the base model's weights are prefixed with inside the causal-LM class. */
    final String prefix;

    Architecture(String modelType, String className, String prefix) {
        this.modelType = modelType;
        this.className = className;
        this.prefix = prefix;
    }

    /** The architecture of a config.json model_type, or an error listing the supported ones. */
    static Architecture of(String modelType, String where) {
        for (Architecture a : values()) {
            if (a.modelType.equals(modelType)) {
                return a;
            }
        }
        throw new IllegalArgumentException(where + ": model_type '" + modelType + "' is not supported; supported: "
                + String.join(", ", List.of(GPT2.modelType, BLOOM.modelType, GPT_NEOX.modelType, LLAMA.modelType, T5.modelType)));
    }

    /** How each ablate weight of this model is stored: Hugging Face names and layout. */
    List<HfWeight> weights(ModelConfig model, Iterable<String> ablateNames) {
        List<HfWeight> out = new ArrayList<>();
        for (String name : ablateNames) {
            out.add(weight(name, model));
        }
        return out;
    }

    private HfWeight weight(String name, ModelConfig model) {
        if (this == T5) {
            return t5Weight(name, model);
        }
        if (name.equals("lm_head.weight")) {
            return HfWeight.same(name, this == GPT_NEOX ? "embed_out.weight" : "lm_head.weight");
        }
        Matcher layer = LAYER.matcher(name);
        if (!layer.matches()) {
            return HfWeight.same(name, prefix + global(name));
        }
        String index = layer.group(1);
        String local = layer.group(2); // ln1.weight, attn.qkv.bias, mlp.fc.weight, ...
        String base = prefix + (this == GPT2 || this == BLOOM ? "h." : "layers.") + index + ".";
        boolean matrix = local.endsWith(".weight");
        String module = local.substring(0, local.lastIndexOf('.'));
        String kind = local.substring(local.lastIndexOf('.') + 1);
        if (this == LLAMA && module.equals("attn.qkv")) {
            String attn = base + "self_attn.";
            return new HfWeight(name, List.of(attn + "q_proj." + kind, attn + "k_proj." + kind, attn + "v_proj." + kind),
                    HfWeight.Layout.ROWS);
        }
        String hf = base + local(module) + "." + kind;
        if (module.startsWith("ln")) {
            return HfWeight.same(name, hf);
        }
        if (this == GPT2) {
            return matrix ? new HfWeight(name, List.of(hf), HfWeight.Layout.TRANSPOSED) : HfWeight.same(name, hf);
        }
        if (module.equals("attn.qkv") && (this == BLOOM || this == GPT_NEOX)) {
            return new HfWeight(name, List.of(hf), HfWeight.Layout.PER_HEAD_QKV);
        }
        return HfWeight.same(name, hf);
    }

    /**
     * T5ForConditionalGeneration's name of an EncoderDecoder weight: shared, lm_head,
     * {encoder,decoder}.block.N.layer.{0: self-attention, 1: cross-attention (decoder), last: MLP},
     * {encoder,decoder}.final_layer_norm.
     */
    private static HfWeight t5Weight(String name, ModelConfig model) {
        float queryScale = (float) Math.sqrt(model.headDim());
        switch (name) {
            case "wte" -> {
                return HfWeight.same(name, "shared.weight");
            }
            case "lm_head.weight" -> {
                return HfWeight.same(name, name);
            }
            case "encoder.relative_bias", "decoder.relative_bias" -> {
                return HfWeight.same(name, t5RelativeBias(name.substring(0, name.indexOf('.'))));
            }
            case "encoder.ln_f.weight" -> {
                return HfWeight.same(name, "encoder.final_layer_norm.weight");
            }
            case "decoder.ln_f.weight" -> {
                float headScale = model.tiedOutput() ? (float) (1 / Math.sqrt(model.dModel())) : 1f;
                return new HfWeight(name, List.of("decoder.final_layer_norm.weight"), HfWeight.Layout.SAME, headScale);
            }
            default -> {
                // a block's weight, below
            }
        }
        Matcher layer = STACK_LAYER.matcher(name);
        if (!layer.matches()) {
            throw new IllegalStateException("t5 has no counterpart of " + name);
        }
        boolean decoder = layer.group(1).equals("decoder");
        String block = layer.group(1) + ".block." + layer.group(2) + ".layer.";
        String self = block + "0.SelfAttention.";
        String cross = block + "1.EncDecAttention.";
        String mlp = block + (decoder ? "2" : "1") + ".DenseReluDense.";
        return switch (layer.group(3)) {
            case "ln1.weight" -> HfWeight.same(name, block + "0.layer_norm.weight");
            case "attn.qkv.weight" -> new HfWeight(name, List.of(self + "q.weight", self + "k.weight", self + "v.weight"),
                    HfWeight.Layout.ROWS, queryScale);
            case "attn.proj.weight" -> HfWeight.same(name, self + "o.weight");
            case "ln_cross.weight" -> HfWeight.same(name, block + "1.layer_norm.weight");
            case "cross.q.weight" -> new HfWeight(name, List.of(cross + "q.weight"), HfWeight.Layout.SAME, queryScale);
            case "cross.kv.weight" -> new HfWeight(name, List.of(cross + "k.weight", cross + "v.weight"), HfWeight.Layout.ROWS);
            case "cross.proj.weight" -> HfWeight.same(name, cross + "o.weight");
            case "ln2.weight" -> HfWeight.same(name, block + (decoder ? "2" : "1") + ".layer_norm.weight");
            case "mlp.fc.weight" -> HfWeight.same(name, mlp + "wi.weight");
            case "mlp.proj.weight", "mlp.w2.weight" -> HfWeight.same(name, mlp + "wo.weight");
            case "mlp.w1.weight" -> HfWeight.same(name, mlp + "wi_0.weight"); // the gate, activated
            case "mlp.w3.weight" -> HfWeight.same(name, mlp + "wi_1.weight");
            default -> throw new IllegalStateException("t5 has no counterpart of " + name);
        };
    }

    /** T5's relative bias table of a stack ("encoder" or "decoder"), kept by the stack's first self-attention. */
    static String t5RelativeBias(String stack) {
        return stack + ".block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    }

    /** The token embedding's name, with the prefix (a checkpoint may store it without). */
    String embeddingName() {
        return prefix + global("wte");
    }

    /** Names of the weights outside the blocks, without the prefix. */
    private String global(String name) {
        return switch (name) {
            case "wte" -> switch (this) {
                case GPT2 -> "wte.weight";
                case BLOOM -> "word_embeddings.weight";
                case GPT_NEOX -> "embed_in.weight";
                case LLAMA -> "embed_tokens.weight";
                case T5 -> "shared.weight";
            };
            case "wpe" -> "wpe.weight";
            case "emb_ln.weight", "emb_ln.bias" -> "word_embeddings_layernorm." + suffix(name);
            case "ln_f.weight", "ln_f.bias" -> switch (this) {
                case GPT2, BLOOM -> name;
                case GPT_NEOX -> "final_layer_norm." + suffix(name);
                case LLAMA -> "norm." + suffix(name);
                case T5 -> unknown(name);
            };
            default -> throw new IllegalStateException("no " + modelType + " name for " + name);
        };
    }

    /** The module name inside a block: ablate's ln1, attn.qkv, mlp.fc, ... in this architecture. */
    private String local(String module) {
        return switch (this) {
            case GPT2 -> switch (module) {
                case "ln1" -> "ln_1";
                case "ln2" -> "ln_2";
                case "attn.qkv" -> "attn.c_attn";
                case "attn.proj" -> "attn.c_proj";
                case "mlp.fc" -> "mlp.c_fc";
                case "mlp.proj" -> "mlp.c_proj";
                default -> unknown(module);
            };
            case BLOOM, GPT_NEOX -> switch (module) {
                case "ln1" -> "input_layernorm";
                case "ln2" -> "post_attention_layernorm";
                case "attn.qkv" -> (this == BLOOM ? "self_attention" : "attention") + ".query_key_value";
                case "attn.proj" -> (this == BLOOM ? "self_attention" : "attention") + ".dense";
                case "mlp.fc" -> "mlp.dense_h_to_4h";
                case "mlp.proj" -> "mlp.dense_4h_to_h";
                default -> unknown(module);
            };
            case LLAMA -> switch (module) {
                case "ln1" -> "input_layernorm";
                case "ln2" -> "post_attention_layernorm";
                case "attn.proj" -> "self_attn.o_proj";
                case "mlp.w1" -> "mlp.gate_proj";
                case "mlp.w3" -> "mlp.up_proj";
                case "mlp.w2" -> "mlp.down_proj";
                default -> unknown(module);
            };
            case T5 -> unknown(module);
        };
    }

    private String unknown(String module) {
        throw new IllegalStateException(modelType + " has no counterpart of " + module);
    }

    private static String suffix(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /**
     * Tensors some checkpoints carry that are not weights of their own: buffers (causal masks,
     * rotary frequencies) and T5's per-stack aliases of its shared embedding, which transformers
     * ties to shared.weight when it loads them.
     */
    static boolean isBuffer(String hfName) {
        return hfName.endsWith(".attn.bias") || hfName.endsWith(".attn.masked_bias") || hfName.endsWith(".attention.bias")
                || hfName.endsWith(".attention.masked_bias") || hfName.endsWith("rotary_emb.inv_freq")
                || hfName.equals("encoder.embed_tokens.weight") || hfName.equals("decoder.embed_tokens.weight");
    }

    @Override
    public String toString() {
        return modelType.toLowerCase(Locale.ROOT);
    }
}
