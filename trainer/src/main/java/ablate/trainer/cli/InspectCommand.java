package ablate.trainer.cli;

import ablate.conf.Activation;
import ablate.conf.AttentionMask;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
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
                        + "activations: Korthikanti et al. 2022 with 16-bit values; training state: 16 bytes per parameter."})
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
            LoopPolicy.checkArchitecture(run); // its sizes would be a decoder's
            ModelConfig base = run.model();
            System.out.printf(Locale.ROOT, "%d layers, d-model %d, %d heads (head %d), seq %d, vocab %d (padded %d), mlp hidden %d%n%n",
                    base.layers(), base.dModel(), base.heads(), base.headDim(), base.seqLen(), base.vocabSize(),
                    base.paddedVocab(), base.mlpHidden());
            System.out.printf(Locale.ROOT, "%-34s %16s %14s %16s %12s %13s %13s%n", "variant", "params", "embedding",
                    "non-embedding", "GFLOP/token", "act MiB/seq", "state GiB");
            for (Variant v : variants(base)) {
                ModelSize s = new ModelSize(v.model());
                System.out.printf(Locale.ROOT, "%-34s %,16d %,14d %,16d %12.3f %13.1f %13.2f%n", v.name(), s.total(),
                        s.tokenEmbedding() + s.positionEmbedding() + s.outputHead(), s.nonEmbedding(), s.flopsPerToken() / 1e9,
                        s.activationBytesPerSequence() / (1 << 20), s.trainingStateBytes() / (1L << 30));
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
        for (AttentionMask mask : AttentionMask.values()) {
            if (mask != m.attentionMask()) {
                out.add(new Variant("attention-mask=" + lower(mask), m.withAxes(m.position(), m.activation(), m.embeddingLayerNorm(), mask)));
            }
        }
        return out;
    }

    private static String describe(ModelConfig m) {
        return lower(m.position()) + ", " + lower(m.activation()) + (m.embeddingLayerNorm() ? ", emb-ln" : "")
                + (m.attentionMask() == AttentionMask.PREFIX ? ", prefix" : "");
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

}
