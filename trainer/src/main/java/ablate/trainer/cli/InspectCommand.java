package ablate.trainer.cli;

import ablate.conf.Activation;
import ablate.conf.Architecture;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.PresetFamily;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ablate.trainer.model.ModelSize;
import ablate.trainer.run.LoopPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ablate inspect}: sizes, FLOPs and memory of a config and of its one-axis variants. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Print parameters (total, embedding, non-embedding), training FLOPs per token, and activation "
                + "and optimizer memory estimates for the config and for each variant that changes one ablation axis.",
                "FLOPs: Megatron's 6 x matmul weights + 12 x layers x seq x d (Narayanan et al. 2021, no recomputation); "
                        + "activations: Korthikanti et al. 2022 with 16-bit values; training state: 16 bytes per parameter.",
                "An encoder-decoder is counted per sequence of T5's span corruption: S encoder and T decoder tokens "
                        + "(512 + 114 for seq-len 512), FLOPs per token over S + T; the architecture variant is the model "
                        + "compared with it at equal compute (same shape, the decoder or the encoder-decoder "
                        + "at the seq-len whose FLOPs per sequence are nearest; Wang et al. 2022).",
                "A preset of a family (SIZE, SIZE-non-causal, SIZE-encoder-decoder) is followed by its family, each member with "
                        + "the same --config and --set: parameters, FLOPs per sequence, and training FLOPs of the run and non-embedding "
                        + "parameters against SIZE's."})
public final class InspectCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Override
    public Integer call() {
        return Cli.guard(() -> {
            if (!config.chosen()) {
                throw new SettingsException("--preset", "", "give --preset NAME or --config FILE");
            }
            RunConfig run = Settings.load(config.sources());
            LoopPolicy.checkArchitecture(run); // settings an encoder-decoder does not take fail here, naming the key
            ModelConfig base = run.model();
            System.out.printf(Locale.ROOT, "%s, %d layers%s, d-model %d, %d heads (head %d), seq %d, vocab %d (padded %d), mlp hidden %d%n",
                    base.architecture().key(), base.layers(), base.architecture() == Architecture.ENCODER_DECODER ? " per stack" : "",
                    base.dModel(), base.heads(), base.headDim(), base.seqLen(), base.vocabSize(), base.paddedVocab(), base.mlpHidden());
            ModelSize size = new ModelSize(base);
            if (base.architecture() == Architecture.ENCODER_DECODER) {
                System.out.printf(Locale.ROOT, "per sequence: %d encoder + %d decoder tokens (T5 span corruption)%n",
                        size.encoderLength(), size.decoderLength());
            }
            System.out.println();
            System.out.printf(Locale.ROOT, "%-54s %16s %14s %16s %10s %12s %13s %13s%n", "variant", "params", "embedding",
                    "non-embedding", "tokens/seq", "GFLOP/token", "act MiB/seq", "state GiB");
            for (Variant v : variants(base)) {
                ModelSize s = new ModelSize(v.model());
                System.out.printf(Locale.ROOT, "%-54s %,16d %,14d %,16d %10d %12.3f %13.1f %13.2f%n", v.name(), s.total(),
                        s.tokenEmbedding() + s.positionEmbedding() + s.outputHead(), s.nonEmbedding(), s.tokensPerSequence(),
                        s.flopsPerToken() / 1e9, s.activationBytesPerSequence() / (1 << 20), s.trainingStateBytes() / (1L << 30));
            }
            String preset = config.sources().preset();
            var family = PresetFamily.of(preset).filter(f -> f.preset(base.architecture()).equals(preset)); // not when --set moved it off its architecture
            if (family.isPresent()) {
                printFamily(family.get(), config.sources());
            }
            return Cli.OK;
        });
    }

    /** A named model config. */
    record Variant(String name, ModelConfig model) {}

    /** The config itself, then every config that differs from it in exactly one ablation axis. */
    static List<Variant> variants(ModelConfig m) {
        List<Variant> out = new ArrayList<>();
        out.add(new Variant("base (" + describe(m) + ")", m));
        for (Position p : Position.values()) {
            if (p != m.position()) {
                out.add(new Variant("position=" + lower(p), m.withAxes(p, m.activation(), m.embeddingLayerNorm(), m.attentionMask())));
            }
        }
        for (Activation a : Activation.values()) {
            if (a != m.activation()) {
                out.add(new Variant("activation=" + lower(a), m.withAxes(m.position(), a, m.embeddingLayerNorm(), m.attentionMask())));
            }
        }
        out.add(new Variant("embedding-layernorm=" + (m.embeddingLayerNorm() ? "off" : "on"),
                m.withAxes(m.position(), m.activation(), !m.embeddingLayerNorm(), m.attentionMask())));
        boolean encoderDecoder = m.architecture() == Architecture.ENCODER_DECODER;
        for (AttentionMask mask : AttentionMask.values()) {
            if (mask != m.attentionMask() && !encoderDecoder) {
                out.add(new Variant("attention-mask=" + lower(mask), m.withAxes(m.position(), m.activation(), m.embeddingLayerNorm(), mask)));
            }
        }
        if (encoderDecoder) {
            ModelConfig decoder = new ModelSize(m).matchedDecoder();
            out.add(new Variant("architecture=causal-decoder (seq " + decoder.seqLen() + ", same compute)", decoder));
        } else if (!m.parallelResidual()) {
            ModelConfig both = new ModelSize(m).matchedEncoderDecoder();
            out.add(new Variant("architecture=encoder-decoder (seq " + both.seqLen() + ", same compute)", both));
        }
        return out;
    }

    /**
     * The family's members with these config files and overrides, against its causal decoder: what a
     * study of the family (conf/studies/architectures-*.conf) trains.
     */
    private static void printFamily(PresetFamily family, Settings.Sources sources) {
        String size = family.preset(Architecture.CAUSAL_DECODER);
        boolean changed = !sources.files().isEmpty() || !sources.overrides().isEmpty();
        System.out.printf(Locale.ROOT, "%npreset family %s: the architectures at %s's training FLOPs per sequence (Wang et al. 2022)%s%n"
                + "(x run FLOPs: FLOPs per sequence x sequences per step x steps, against %s's)%n",
                size, size, changed ? ", each with the same --config and --set" : "", size);
        System.out.printf(Locale.ROOT, "%-24s %-20s %-16s %16s %16s %12s %12s %12s %10s%n", "preset", "architecture", "objective",
                "params", "non-embedding", "tokens/seq", "GFLOP/seq", "x run FLOPs", "x non-emb");
        ModelSize reference = null;
        double referenceRun = 0;
        for (String preset : family.presets()) {
            RunConfig run;
            try {
                run = Settings.load(new Settings.Sources(preset, sources.files(), sources.overrides()));
                LoopPolicy.checkArchitecture(run);
            } catch (SettingsException e) {
                System.out.printf(Locale.ROOT, "%-24s not valid with these settings: %s%n", preset, e.getMessage());
                continue;
            }
            ModelSize s = new ModelSize(run.model());
            double runFlops = s.flopsPerSequence() * run.train().globalBatchSize() * run.train().steps();
            if (preset.equals(size)) {
                reference = s;
                referenceRun = runFlops;
            }
            String tokens = run.model().architecture() == Architecture.ENCODER_DECODER
                    ? s.encoderLength() + " + " + s.decoderLength() : String.valueOf(s.tokensPerSequence());
            double gflops = s.flopsPerSequence() / 1e9;
            System.out.printf(Locale.ROOT, "%-24s %-20s %-16s %,16d %,16d %12s %12s %12s %10s%n", preset, run.model().architecture().key(),
                    run.train().objective().key(), s.total(), s.nonEmbedding(), tokens,
                    String.format(Locale.ROOT, gflops >= 100 ? "%,.0f" : "%.4g", gflops),
                    reference == null ? "-" : String.format(Locale.ROOT, "%.4f", runFlops / referenceRun),
                    reference == null ? "-" : String.format(Locale.ROOT, "%.3f", (double) s.nonEmbedding() / reference.nonEmbedding()));
        }
    }

    private static String describe(ModelConfig m) {
        return lower(m.position()) + ", " + lower(m.activation()) + (m.embeddingLayerNorm() ? ", emb-ln" : "")
                + (m.attentionMask() == AttentionMask.PREFIX ? ", prefix" : "")
                + (m.architecture() == Architecture.ENCODER_DECODER ? ", encoder-decoder" : "");
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

}
