package ablate.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
import ablate.trainer.hf.HfImportTest;
import ablate.trainer.model.AvailableMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * import-hf and export-hf refuse, before anything is allocated or written, a config.json that does
 * not describe its weights and a model that does not fit the memory available (injected here, so
 * no huge model is built): exit code 2, one line, no stack trace, no output folder.
 */
class HfCommandsTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path tmp;

    @Test
    void aConfigOfAMillionLayersBesideWeightsForTwoFailsOnTheMismatchAndWritesNothing() throws Exception {
        Path hf = HfImportTest.copyFixture("gpt2", tmp.resolve("hf"));
        HfImportTest.editConfig(hf, c -> c.put("n_layer", 1_000_000));
        Path out = tmp.resolve("imported");
        CommandOutput run = refused(new ImportHfCommand(), hf.toString(), "--out", out.toString());
        assertThat(run.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(run.err()).isEqualTo("error: " + hf.resolve("config.json") + " says n_layer = 1000000 but model.safetensors holds"
                + " weights for 2 layers (h.0, h.1)\n");
        assertThat(out).doesNotExist();

        Files.createDirectories(out); // an empty folder given as --out stays empty
        refused(new ImportHfCommand(), hf.toString(), "--out", out.toString());
        try (var listing = Files.list(out)) {
            assertThat(listing).isEmpty();
        }
    }

    @Test
    void aModelAboveTheMachinesMemoryIsRefusedWithItsEstimateAndNothingIsWritten() throws Exception {
        Path out = tmp.resolve("imported");
        ImportHfCommand command = new ImportHfCommand();
        command.availableMemory = device -> new AvailableMemory(64 << 10, GIB, true);
        CommandOutput run = refused(command, HfImportTest.fixture("gpt2").toString(), "--out", out.toString());
        assertThat(run.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(run.err()).startsWith("error: this model needs about ").contains(" to load (").contains(" parameters: ")
                .contains(" of fp32 weights; ").contains(" of attention masks for seq-len 16; ")
                .contains(" and this machine has 64.0 KiB; import it on a machine with more memory").doesNotContain("\tat ");
        assertThat(run.err().lines()).hasSize(1);
        assertThat(out).doesNotExist();
    }

    @Test
    void javaArraysAboveTheHeapAreRefusedEvenWhenTheModelIsOnAGpu() throws Exception {
        Path out = tmp.resolve("imported");
        ImportHfCommand command = new ImportHfCommand();
        command.availableMemory = device -> new AvailableMemory(1, 1024, false); // a GPU's memory is libtorch's to check
        CommandOutput run = refused(command, HfImportTest.fixture("gpt2").toString(), "--out", out.toString());
        assertThat(run.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(run.err()).startsWith("error: this model needs about ").contains(" of Java heap at once to load (the largest weight and"
                + " its copy) and this JVM may use 1.0 KiB; give it more with ABLATE_JAVA_OPTS=-Xmx2g").doesNotContain("\tat ");
        assertThat(out).doesNotExist();

        ImportHfCommand onGpu = new ImportHfCommand();
        onGpu.availableMemory = device -> new AvailableMemory(1, GIB, false);
        CommandOutput imported = run(onGpu, HfImportTest.fixture("gpt2").toString(), "--out", out.toString());
        assertThat(imported.exit()).as(imported.err()).isZero();
    }

    @Test
    void exportCountsTheHuggingFaceCopyAndRefusesWhatDoesNotFit() throws Exception {
        Path imported = tmp.resolve("imported");
        assertThat(run(new ImportHfCommand(), HfImportTest.fixture("gpt2").toString(), "--out", imported.toString()).exit()).isZero();
        Path out = tmp.resolve("exported");
        ExportHfCommand command = new ExportHfCommand();
        command.availableMemory = device -> new AvailableMemory(64 << 10, GIB, true);
        CommandOutput run = refused(command, imported.toString(), out.toString());
        assertThat(run.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(run.err()).startsWith("error: this model needs about ").contains(" to export (")
                .contains(" of the Hugging Face copy of the weights").contains("and this machine has 64.0 KiB");
        assertThat(out).doesNotExist();
    }

    /** A run or import folder's config.conf is checked against its model.safetensors header before the model is built. */
    @Test
    void anImportFolderWhoseConfigDoesNotDescribeItsWeightsIsNamedBeforeAnythingIsBuilt() throws Exception {
        Path imported = tmp.resolve("imported");
        assertThat(run(new ImportHfCommand(), HfImportTest.fixture("gpt2").toString(), "--out", imported.toString()).exit()).isZero();
        Path conf = imported.resolve("config.conf");
        String original = Files.readString(conf);
        Files.writeString(conf, original + "\nmodel.layers = 50000\n");
        CommandOutput layers = refused(new ExportHfCommand(), imported.toString(), tmp.resolve("a").toString());
        assertThat(layers.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(layers.err()).isEqualTo("error: " + conf + " says model.layers = 50000 but " + imported.resolve("model.safetensors")
                + " holds weights for 2 layers (h.0, h.1)\n");
        Files.writeString(conf, original + "\nmodel.mlp-hidden = 1000\n");
        CommandOutput shape = refused(new ExportHfCommand(), imported.toString(), tmp.resolve("b").toString());
        assertThat(shape.exit()).isEqualTo(Cli.BAD_INPUT);
        assertThat(shape.err()).isEqualTo("error: " + imported.resolve("model.safetensors") + ": h.0.mlp.fc.weight has shape (128, 32) where "
                + conf + " implies (1000, 32)\n");
        assertThat(tmp.resolve("a")).doesNotExist();
        assertThat(tmp.resolve("b")).doesNotExist();
    }

    private static CommandOutput run(Callable<Integer> command, String... args) {
        return CommandOutput.of(() -> new CommandLine(command).execute(args));
    }

    /** Runs a command that must be refused as bad input, without a trace, leaving every file under {@code tmp} as it was. */
    private CommandOutput refused(Callable<Integer> command, String... args) {
        FolderState before = FolderState.of(tmp);
        CommandOutput ran = run(command, args).assertRefused(Cli.BAD_INPUT);
        before.assertUnchanged();
        return ran;
    }
}
