package ablate.trainer.hf;

import ablate.conf.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hugging Face causal-LM architectures the model family holds exactly, and how each names and
 * lays out the weights of {@code ablate.trainer.model.Gpt}. Layouts were read from transformers'
 * modeling files (models/{gpt2,bloom,gpt_neox,llama}/modeling_*.py):
 * <ul>
 *   <li>GPT-2's Conv1D stores (in, out), the transpose of a Linear; c_attn is [q | k | v];
 *   <li>BLOOM's and GPT-NeoX's fused query_key_value rows are grouped per head, (heads, 3, hs),
 *       where ablate's are [q | k | v] with heads contiguous inside each;
 *   <li>LLaMA keeps q_proj, k_proj and v_proj apart (k and v with num_key_value_heads heads).
 * </ul>
 */
public enum Architecture {
    GPT2("gpt2", "GPT2LMHeadModel", "transformer."),
    BLOOM("bloom", "BloomForCausalLM", "transformer."),
    GPT_NEOX("gpt_neox", "GPTNeoXForCausalLM", "gpt_neox."),
    LLAMA("llama", "LlamaForCausalLM", "model.");

    private static final Pattern LAYER = Pattern.compile("h\\.(\\d+)\\.(.+)");

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
                + String.join(", ", List.of(GPT2.modelType, BLOOM.modelType, GPT_NEOX.modelType, LLAMA.modelType)));
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
            };
            case "wpe" -> "wpe.weight";
            case "emb_ln.weight", "emb_ln.bias" -> "word_embeddings_layernorm." + suffix(name);
            case "ln_f.weight", "ln_f.bias" -> switch (this) {
                case GPT2, BLOOM -> name;
                case GPT_NEOX -> "final_layer_norm." + suffix(name);
                case LLAMA -> "norm." + suffix(name);
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
        };
    }

    private String unknown(String module) {
        throw new IllegalStateException(modelType + " has no counterpart of " + module);
    }

    private static String suffix(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /** Buffers some checkpoints carry that are not weights (causal masks, rotary frequencies). */
    static boolean isBuffer(String hfName) {
        return hfName.endsWith(".attn.bias") || hfName.endsWith(".attn.masked_bias") || hfName.endsWith(".attention.bias")
                || hfName.endsWith(".attention.masked_bias") || hfName.endsWith("rotary_emb.inv_freq");
    }

    @Override
    public String toString() {
        return modelType.toLowerCase(Locale.ROOT);
    }
}
