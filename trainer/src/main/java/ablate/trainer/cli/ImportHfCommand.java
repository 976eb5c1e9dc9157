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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ablate import-hf DIR --out RUN_DIR}: a Hugging Face checkpoint into the model family. */
@Command(name = "import-hf", mixinStandardHelpOptions = true,
        description = {"Load a Hugging Face GPT-2, BLOOM, GPT-NeoX/Pythia, LLaMA or T5 checkpoint (config.json, *.safetensors, "
                + "tokenizer.json; fp32, fp16 or bf16) and write it as an ablate model folder (config.conf, model.safetensors, "
                + "tokenizer.json) that evaluation and export-hf accept; T5 becomes an encoder-decoder with position = relative."})
public final class ImportHfCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Hugging Face checkpoint folder.")
    Path hfDir;

    @Option(names = "--out", required = true, paramLabel = "RUN_DIR", description = "Output folder (must not exist or be empty).")
    Path out;

    @Option(names = "--seq-len", paramLabel = "N", defaultValue = "0",
            description = "Context length to build for; 0 takes config.json's. Default: ${DEFAULT-VALUE}.")
    int seqLen;

    /** What a model may use on a device; tests inject small numbers. */
    Function<Device, AvailableMemory> availableMemory = AvailableMemory::of;

    @Override
    public Integer call() {
        return Cli.guard(() -> {
            if (seqLen < 0 || seqLen > 1 << 20) {
                throw new IllegalArgumentException("--seq-len must be between 0 (config.json's) and " + (1 << 20) + ", got " + seqLen);
            }
            Torch.configureThreads(Runtime.getRuntime().availableProcessors());
            try (NDManager m = NDManager.newBaseManager(); Pretrained p = Pretrained.loadHf(hfDir, m, seqLen,
                    config -> ModelMemory.loading(config).withAdvice("import it on a machine with more memory (--seq-len N builds"
                            + " it for a shorter context, with smaller attention masks)"), availableMemory.apply(m.getDevice()))) {
                p.saveRun(out);
                System.out.printf("imported %s (%d layers, d-model %d, vocab %d) to %s%n", p.source(), p.config().layers(),
                        p.config().dModel(), p.config().vocabSize(), out);
            }
            return Cli.OK;
        });
    }
}
