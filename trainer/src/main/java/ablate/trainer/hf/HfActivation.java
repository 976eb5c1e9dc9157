package ablate.trainer.hf;

import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import java.util.Map;
import java.util.Optional;

/**
 * MLP activations by the names transformers' ACT2FN gives them, both ways: what config.json's
 * activation keys mean as model.activation and model.gelu-approximation on import, and what to
 * write on export.
 */
final class HfActivation {
    private HfActivation() {}

    /** An ungated MLP's activation by its transformers ACT2FN name. */
    static String ungatedName(ModelConfig m) {
        return switch (m.activation()) {
            case RELU -> "relu";
            case GELU -> m.geluApproximation() == GeluApproximation.TANH ? "gelu_new" : "gelu";
            case SWIGLU, GEGLU -> throw new IllegalStateException("gated: " + m.activation());
        };
    }

    /** A gated MLP's activation, as llama's hidden_act names it: act(gate_proj x) * up_proj x. */
    static String gatedName(ModelConfig m) {
        return switch (m.activation()) {
            case SWIGLU -> "silu";
            case GEGLU -> m.geluApproximation() == GeluApproximation.TANH ? "gelu_pytorch_tanh" : "gelu"; // Gemma's MLP
            case GELU, RELU -> throw new IllegalStateException("ungated: " + m.activation());
        };
    }

    /** An MLP as model.* settings: model.activation and, for the GELUs, model.gelu-approximation ("" for the others). */
    record Mlp(String activation, String geluApproximation) {
        /** An MLP, gated (T5's gated-ACT) or not, by its activation's transformers ACT2FN name; empty where ablate has none such. */
        static Optional<Mlp> named(boolean gated, String act) {
            String approximation = switch (act) {
                case "gelu", "gelu_python" -> "none";
                case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> "tanh";
                default -> "";
            };
            if (!approximation.isEmpty()) {
                return Optional.of(new Mlp(gated ? "geglu" : "gelu", approximation));
            }
            if (gated && (act.equals("silu") || act.equals("swish"))) {
                return Optional.of(new Mlp("swiglu", ""));
            }
            return !gated && act.equals("relu") ? Optional.of(new Mlp("relu", "")) : Optional.empty();
        }

        void putInto(Map<String, Object> s) {
            s.put("activation", activation);
            if (!geluApproximation.isEmpty()) {
                s.put("gelu-approximation", geluApproximation);
            }
        }
    }
}
