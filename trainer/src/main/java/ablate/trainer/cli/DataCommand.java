package ablate.trainer.cli;

import ablate.trainer.data.DataPrepare;
import ablate.trainer.data.PrepareOptions;
import ablate.trainer.data.PrepareSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ablate data}: corpus preparation. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Prepare corpora for training.",
        subcommands = DataCommand.Prepare.class)
public final class DataCommand implements Runnable {
    @Override
    public void run() {
        System.err.println("usage: ablate data prepare --input FILE|DIR... --out DIR (see ablate data prepare --help)");
    }

    /** {@code ablate data prepare}. */
    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = {"Tokenize .txt/.jsonl files (and .gz/.zst forms) on all cores into packed token files with a "
                    + "document index and a train/validation split.",
                    "A .txt file is one document; a .jsonl line is one document. Malformed lines are counted and "
                            + "reported; a JSON line without the text field stops with its file and line."})
    public static final class Prepare implements Callable<Integer> {
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE|DIR", description = "Input files or folders.")
        List<Path> inputs;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (must not exist or be empty).")
        Path out;

        @Option(names = "--tokenizer", paramLabel = "byte|PATH", defaultValue = "byte",
                description = "\"byte\" (built-in, 257 tokens) or a Hugging Face tokenizer.json. Default: ${DEFAULT-VALUE}.")
        String tokenizer;

        @Option(names = "--text-field", paramLabel = "NAME", defaultValue = PrepareOptions.DEFAULT_TEXT_FIELD,
                description = "JSONL field with the text. Default: ${DEFAULT-VALUE}.")
        String textField;

        @Option(names = "--val-fraction", paramLabel = "F", defaultValue = "0.005",
                description = "Share of documents held out for validation. Default: ${DEFAULT-VALUE}.")
        double valFraction;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "1337", description = "Seed of the split. Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--threads", paramLabel = "N", description = "Tokenizer workers (default: all cores).")
        int threads = Runtime.getRuntime().availableProcessors();

        @Override
        public Integer call() {
            return Cli.guard(() -> {
                Thread preparing = Thread.currentThread();
                try (Interrupts interrupts = Interrupts.install("stopping; the partial output is removed and nothing is written to "
                        + out + " (press Ctrl-C again to stop at once, leaving it for the next run to remove)", preparing::interrupt)) {
                    try {
                        PrepareSummary summary = DataPrepare.run(
                                new PrepareOptions(inputs, out, tokenizer, textField, valFraction, seed, threads));
                        System.out.println(summary.render());
                        return Cli.OK;
                    } catch (java.io.IOException | RuntimeException e) {
                        if (!interrupts.requested()) {
                            throw e;
                        }
                        Thread.interrupted(); // clear the flag the signal set
                        System.out.println("interrupted: nothing was written to " + out + "; rerun the same command to prepare it");
                        return Interrupts.EXIT;
                    }
                }
            });
        }

        /** Direct entry point (used by tests that signal it in a separate JVM). */
        public static void main(String[] args) {
            System.exit(new picocli.CommandLine(new Prepare()).execute(args));
        }
    }
}
