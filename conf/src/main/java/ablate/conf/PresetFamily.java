package ablate.conf;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A size preset and its partners on the architecture axis at equal training compute, the
 * comparison of Wang et al. 2022 ("What Language Model Architecture and Pretraining Objective Work
 * Best for Zero-Shot Generalization?"):
 * <ul>
 *   <li>{@code SIZE}: the causal decoder, full language modeling;
 *   <li>{@code SIZE-non-causal}: the same shape as a prefix LM (non-causal decoder, prefix-lm), so the
 *       same FLOPs per sequence exactly;
 *   <li>{@code SIZE-encoder-decoder}: the same blocks per stack, trained on T5's span corruption, so
 *       about twice the parameters, at the seq-len whose training FLOPs per sequence (S encoder and T
 *       decoder tokens, cross-attention included) come nearest the decoder's.
 * </ul>
 * Each partner is an override file, presets/SIZE-*.conf, that includes SIZE.conf and holds only what
 * changes; the steps and sequences per step stay SIZE's, so the three spend the same training
 * compute. The encoder-decoder's seq-len is written in its file rather than computed when it is
 * loaded: the accounting (trainer's {@code ModelSize}) lives above this module, and a run's saved
 * config should say what it trained. trainer's PresetFamilyTest recomputes it and fails, naming the
 * value to write, when the accounting or the base preset changes.
 */
public record PresetFamily(String size) {
    /** The sizes that have a family: every size preset but 176b, which is never built. */
    public static final List<PresetFamily> ALL = List.of("debug", "tiny", "small", "125m", "350m", "1b3").stream()
            .map(PresetFamily::new).toList();

    /** The member of this family of {@code architecture}. */
    public String preset(Architecture architecture) {
        return size + switch (architecture) {
            case CAUSAL_DECODER -> "";
            case NON_CAUSAL_DECODER -> "-non-causal";
            case ENCODER_DECODER -> "-encoder-decoder";
        };
    }

    /** Every member, the causal decoder first. */
    public List<String> presets() {
        return Arrays.stream(Architecture.values()).map(this::preset).toList();
    }

    /** The family {@code preset} belongs to, if any. */
    public static Optional<PresetFamily> of(String preset) {
        return ALL.stream().filter(f -> f.presets().contains(preset)).findFirst();
    }
}
