package ablate.trainer.cli;

import ablate.trainer.hf.Pretrained;
import ablate.trainer.model.AvailableMemory;
import ablate.trainer.model.ModelMemory;
import ablate.trainer.run.Torch;
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ablate export-hf RUN_DIR OUT_DIR}: a run's model as a Hugging Face checkpoint. */
@Command(name = "export-hf", mixinStandardHelpOptions = true,
        description = {"Write a run's newest valid checkpoint (or a checkpoint folder, or an import-hf output) as config.json, "
                + "model.safetensors and tokenizer.json that transformers loads as gpt2 (learned positions, GELU or ReLU), bloom "
                + "(ALiBi, embedding LayerNorm, tanh GELU), gpt_neox (rotary, GELU or ReLU), llama (rotary, RMSNorm, SwiGLU or "
                + "GEGLU) or, for an encoder-decoder, t5 (relative or no positions, GELU, ReLU, SwiGLU or GEGLU, RMSNorm, no biases).",
                "A model no architecture expresses (prefix-LM mask, no positions, ...) fails naming the setting."})
public final class ExportHfCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "Run, checkpoint or import-hf folder.")
    Path runDir;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Output folder (must not exist or be empty).")
    Path out;

    /** What a model may use on a device; tests inject small numbers. */
    Function<Device, AvailableMemory> availableMemory = AvailableMemory::of;

    @Override
    public Integer call() {
        return Cli.guard(() -> {
            Torch.configureThreads(Runtime.getRuntime().availableProcessors());
            try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadRun(runDir, m, ModelMemory::exporting,
                    availableMemory.apply(m.getDevice()))) {
                p.exportHf(out);
                System.out.printf("exported %s to %s%n", p.source(), out);
            }
            return Cli.OK;
        });
    }
}
