package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.ModelConfig;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Memory estimates from a model's shape, and the refusals they give, with the available memory injected. */
class ModelMemoryTest {
    private static final long GIB = 1L << 30;

    @Test
    void anEstimateAboveTheMachinesMemoryIsRefusedWithItsPartsAndWhatIsAvailable() {
        ModelConfig debug = Models.debug();
        ModelMemory loading = ModelMemory.loading(debug);
        double weights = 4.0 * new ModelSize(debug).total();
        assertThat(loading.deviceBytes()).isGreaterThan(weights);
        long machine = (long) loading.totalBytes() - 1;
        assertThatThrownBy(() -> loading.requireFits(new AvailableMemory(machine, GIB, true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("this model needs about " + ModelMemory.size(loading.totalBytes()) + " to load ("
                        + String.format(java.util.Locale.ROOT, "%,d", new ModelSize(debug).total()) + " parameters: "
                        + ModelMemory.size(weights) + " of fp32 weights; ")
                .hasMessageContaining(" of Java arrays at once (the largest weight and its copy)")
                .hasMessageEndingWith(" and this machine has " + ModelMemory.size(machine) + "; use a machine with more memory");
        loading.requireFits(new AvailableMemory(machine + 1, GIB, true));
    }

    @Test
    void onAGpuOnlyTheJavaHeapIsCompared() {
        ModelMemory loading = ModelMemory.loading(Models.debug());
        loading.requireFits(new AvailableMemory(1, GIB, false)); // the device's memory is libtorch's to check
        assertThatThrownBy(() -> loading.requireFits(new AvailableMemory(1, 1, false)))
                .hasMessageStartingWith("this model needs about " + ModelMemory.size(loading.heap().bytes())
                        + " of Java heap at once to load (the largest weight and its copy) and this JVM may use 1 bytes;"
                        + " give it more with ABLATE_JAVA_OPTS=-Xmx2g, or use a machine with more memory");
    }

    @Test
    void scoringCountsTheForwardPassOfTheTokenBudgetAndItsAdviceCanNameTheOption() {
        ModelConfig debug = Models.debug(); // seq-len 64
        double small = ModelMemory.scoring(debug, 64).deviceBytes();
        double twice = ModelMemory.scoring(debug, 128).deviceBytes();
        double fixed = ModelMemory.loading(debug).deviceBytes();
        assertThat(twice - fixed).as("rows stop widening at the window: twice the tokens, twice the activations")
                .isCloseTo(2 * (small - fixed), org.assertj.core.data.Offset.offset(1.0));
        assertThat(ModelMemory.scoring(debug, 32).deviceBytes() - fixed).as("narrower rows: less than half")
                .isLessThan((small - fixed) / 2);
        ModelMemory scoring = ModelMemory.scoring(debug, 1024).withAdvice("lower --batch-tokens");
        assertThatThrownBy(() -> scoring.requireFits(new AvailableMemory(1 << 20, GIB, true)))
                .hasMessageContaining(" to score (").hasMessageContaining(" of activations for a forward pass of 1,024 tokens in rows of up to 64")
                .hasMessageEndingWith("and this machine has 1.0 MiB; lower --batch-tokens");
    }

    /** An encoder-decoder's weights are both stacks', and each position of its budget may be a decoder block's, the costlier. */
    @Test
    void scoringAnEncoderDecoderCountsBothStacksAndItsDecoderBlocks() {
        ModelConfig debug = Models.debug();
        ModelConfig t5 = Models.encoderDecoder();
        double decoderActivations = ModelMemory.scoring(debug, 1024).deviceBytes() - ModelMemory.loading(debug).deviceBytes();
        double t5Activations = ModelMemory.scoring(t5, 1024).deviceBytes() - ModelMemory.loading(t5).deviceBytes();
        assertThat(ModelMemory.loading(t5).deviceBytes()).isGreaterThan(1.9 * (ModelMemory.loading(debug).deviceBytes()
                - 4.0 * new ModelSize(debug).tokenEmbedding()));
        assertThat(t5Activations).isGreaterThan(decoderActivations);
    }

    @Test
    void trainingKeepsTheStateAndMicroBatchActivationsOfItsEstimate() {
        RunConfig run = Settings.load(Settings.Sources.ofPreset("debug"));
        ModelSize size = new ModelSize(run.model());
        ModelMemory training = ModelMemory.training(run);
        assertThat(training.parts().getFirst().bytes()).isEqualTo(16.0 * size.total());
        assertThat(training.parts().get(1).bytes()).isEqualTo(2 * size.activationBytesPerSequence() * run.train().microBatchSize());
        assertThatThrownBy(() -> training.requireFits(new AvailableMemory(1 << 20, GIB, true)))
                .hasMessageContaining(" to train (").hasMessageContaining(" of weights, gradients and AdamW state; ")
                .hasMessageEndingWith("; choose a smaller preset or model, or train it on a cluster of GPUs");
    }

    /** The 176B preset and ModelConfig's largest shape give finite estimates (doubles) that a 512 GiB machine refuses. */
    @Test
    void hugeShapesAreEstimatedWithoutOverflowAndRefused() {
        RunConfig bloom = Settings.load(Settings.Sources.ofPreset("176b"));
        ModelConfig max = Settings.load(Settings.Sources.ofPreset("debug", "model.layers=65536", "model.d-model=1048576",
                "model.heads=8", "model.seq-len=16777216", "model.vocab-size=2147483520", "model.ffn-hidden=4194304",
                "model.position=alibi", "model.activation=swiglu", "model.mlp-hidden=4194304", "model.tied-output=false")).model();
        for (ModelMemory m : List.of(ModelMemory.training(bloom), ModelMemory.loading(bloom.model()), ModelMemory.exporting(max),
                ModelMemory.scoring(max, Integer.MAX_VALUE))) {
            assertThat(m.totalBytes()).as(m.use()).isFinite().isGreaterThan(4.0 * 176e9);
            assertThat(m.heap().bytes()).as(m.use()).isFinite().isPositive();
            assertThatThrownBy(() -> m.requireFits(new AvailableMemory(512 * GIB, Long.MAX_VALUE, true)))
                    .as(m.use()).hasMessageStartingWith("this model needs about ");
        }
        assertThat(ModelMemory.size(4.0 * 176e9)).isEqualTo("655.7 GiB");
    }

    @Test
    void thisMachineReportsPositiveMemory() {
        AvailableMemory here = AvailableMemory.here(true);
        assertThat(here.machine()).isPositive();
        assertThat(here.heap()).isEqualTo(Runtime.getRuntime().maxMemory());
    }
}
