package ablate.trainer.model;

import ablate.conf.Activation;
import ablate.conf.Architecture;
import ablate.conf.AttentionMask;
import ablate.conf.GeluApproximation;
import ablate.conf.ModelConfig;
import ablate.conf.Norm;
import ablate.conf.Position;
import ablate.conf.Settings;
import ablate.trainer.run.Torch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

/** Model configs for tests: the debug preset along every ablation axis. */
public final class Models {
    /** The activations the matrices cover once per position rather than crossed with every other axis. */
    private static final Activation[] NEWER_ACTIVATIONS = {Activation.RELU, Activation.GEGLU};

    private Models() {}

    static {
        Torch.configureThreads(2);
    }

    /** The debug preset's model. */
    public static ModelConfig debug() {
        return Settings.load(Settings.Sources.ofPreset("debug")).model();
    }

    /** The debug preset's shape as an encoder-decoder (as many layers per stack). */
    public static ModelConfig encoderDecoder() {
        ModelConfig m = debug();
        return m.withArchitecture(Architecture.ENCODER_DECODER, m.seqLen());
    }

    /** The debug encoder-decoder with other ablation choices. */
    public static ModelConfig encoderDecoder(Position p, Activation a, boolean embeddingNorm) {
        return encoderDecoder().withAxes(p, a, embeddingNorm, AttentionMask.CAUSAL);
    }

    /** The model m with other choices of the settings that make Hugging Face architectures fit, on m's architecture. */
    public static ModelConfig family(ModelConfig m, Norm norm, boolean bias, boolean tied, int kvHeads) {
        return new ModelConfig(m.layers(), m.dModel(), m.heads(), m.seqLen(), m.vocabSize(), m.padVocabToMultipleOf(),
                m.ffnHidden(), m.position(), m.activation(), m.swigluMultipleOf(), m.embeddingLayerNorm(), m.attentionMask(),
                m.rotaryFraction(), m.rotaryBase(), m.layerNormEpsilon(), m.initStd(), m.dropout(), norm, bias, m.geluApproximation(),
                tied, m.parallelResidual(), kvHeads, m.mlpHiddenSize(), m.architecture());
    }

    public static ModelConfig debug(Position p, Activation a, boolean embeddingNorm, AttentionMask mask) {
        return with(debug(), p, a, embeddingNorm, mask);
    }

    /** The model m with other ablation choices. */
    public static ModelConfig with(ModelConfig m, Position p, Activation a, boolean embeddingNorm) {
        return with(m, p, a, embeddingNorm, m.attentionMask());
    }

    public static ModelConfig with(ModelConfig m, Position p, Activation a, boolean embeddingNorm, AttentionMask mask) {
        return m.withAxes(p, a, embeddingNorm, mask);
    }

    /** The model m with other choices of the settings that make Hugging Face architectures fit. */
    public static ModelConfig family(ModelConfig m, Norm norm, boolean bias, GeluApproximation gelu, boolean tied,
            boolean parallel, int kvHeads, int mlpHidden) {
        return new ModelConfig(m.layers(), m.dModel(), m.heads(), m.seqLen(), m.vocabSize(), m.padVocabToMultipleOf(),
                m.ffnHidden(), m.position(), m.activation(), m.swigluMultipleOf(), m.embeddingLayerNorm(), m.attentionMask(),
                m.rotaryFraction(), m.rotaryBase(), m.layerNormEpsilon(), m.initStd(), m.dropout(), norm, bias, gelu, tied,
                parallel, kvHeads, mlpHidden);
    }

    /**
     * The decoders' ablation matrix: every combination of position, GELU or SwiGLU, embedding
     * LayerNorm and attention mask; then ReLU and GEGLU once per position, the embedding LayerNorm
     * and the mask alternating so that each meets both values of each (every pair of values of two
     * axes appears, at a quarter of the cost of crossing them with everything).
     */
    public static List<Arguments> axisMatrix() {
        List<Arguments> out = new ArrayList<>();
        for (Position p : Position.values()) {
            for (Activation a : new Activation[] {Activation.GELU, Activation.SWIGLU}) {
                for (boolean norm : new boolean[] {false, true}) {
                    for (AttentionMask mask : AttentionMask.values()) {
                        out.add(Arguments.of(p, a, norm, mask));
                    }
                }
            }
        }
        Position[] positions = Position.values();
        for (int j = 0; j < NEWER_ACTIVATIONS.length; j++) {
            for (int i = 0; i < positions.length; i++) {
                out.add(Arguments.of(positions[i], NEWER_ACTIVATIONS[j], (i + j) % 2 == 1, AttentionMask.values()[(i / 2 + j) % 2]));
            }
        }
        return out;
    }

    /**
     * The encoder-decoder's ablation matrix (no mask axis): every combination of position, GELU or
     * SwiGLU and embedding LayerNorm; then ReLU and GEGLU once per position, the embedding LayerNorm
     * alternating.
     */
    public static List<Arguments> encoderDecoderAxes() {
        List<Arguments> out = new ArrayList<>();
        for (Position p : Position.values()) {
            for (Activation a : new Activation[] {Activation.GELU, Activation.SWIGLU}) {
                for (boolean norm : new boolean[] {false, true}) {
                    out.add(Arguments.of(p, a, norm));
                }
            }
        }
        Position[] positions = Position.values();
        for (int j = 0; j < NEWER_ACTIVATIONS.length; j++) {
            for (int i = 0; i < positions.length; i++) {
                out.add(Arguments.of(positions[i], NEWER_ACTIVATIONS[j], (i + j) % 2 == 1));
            }
        }
        return out;
    }

    /** Position x mask, the axes that change what a token may see. */
    public static List<Arguments> positionsAndMasks() {
        List<Arguments> out = new ArrayList<>();
        for (Position p : Position.values()) {
            for (AttentionMask mask : AttentionMask.values()) {
                out.add(Arguments.of(p, mask));
            }
        }
        return out;
    }
}
