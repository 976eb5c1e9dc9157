package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.testing.CommandOutput;
import ablate.testing.FolderState;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ablate.trainer.cli.TrainCommand;
import ablate.trainer.model.AvailableMemory;
import picocli.CommandLine;

/**
 * `ablate eval` end to end on an imported Hugging Face checkpoint (the tiny GPT-2 fixture of
 * trainer's HF tests) and the tasks' own fixture data: the table, the harness JSON layout and the
 * per-document sample logs.
 */
class EvalCommandTest {
    private static final Path GPT2 = Path.of("../trainer/src/test/resources/hf/gpt2");

    @TempDir
    Path dir;

    @Test
    void evaluatesAnHfCheckpointAndWritesTheHarnessLayoutAndSamples() throws Exception {
        Path out = dir.resolve("results.json");
        CommandOutput run = run("--hf", GPT2.toString(), "--tasks", "piqa,copa,rte,no_such_data", "--task-dir", extraTask().toString(),
                "--data-dir", fixtures().toString(), "--out", out.toString(), "--log-samples", "--bootstrap-iters", "100", "--threads", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("|Version|")
                .contains("|piqa|").contains("skipped no_such_data");
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertThat(json.get("results").fieldNames()).toIterable().containsExactly("piqa", "copa", "rte");
        // one fixture document: no standard error (the harness would divide by n - 1 = 0)
        assertThat(json.get("results").get("piqa").fieldNames()).toIterable().containsExactly("acc", "acc_norm");
        assertThat(json.get("versions").get("rte").asInt()).isZero();
        assertThat(json.get("config").get("bootstrap_iters").asInt()).isEqualTo(100);
        assertThat(json.get("config").get("encoding").asText()).isEqualTo("harness-2022");
        assertThat(json.get("ablate").get("skipped").get("no_such_data").asText()).contains("nowhere.jsonl");
        List<String> samples = Files.readAllLines(dir.resolve("results.samples/samples_piqa.jsonl"));
        JsonNode first = new ObjectMapper().readTree(samples.getFirst());
        assertThat(first.get("arguments").get(0).get(0).asText()).startsWith("Question: ").endsWith("\nAnswer:");
        assertThat(first.get("resps")).hasSize(2);
        assertThat(first.get("resps").get(0).get(0).isNumber()).isTrue();
        assertThat(first.get("acc").asDouble()).isIn(0.0, 1.0);
    }

    /**
     * --out never loses anything: onto this model's earlier results it keeps the tasks not scored
     * again; onto a file that is not a results file, or another model's, it refuses before scoring
     * and leaves the file as it was.
     */
    @Test
    void outMergesThisModelsEarlierResultsAndRefusesAnyOtherFile() throws Exception {
        Path out = dir.resolve("results.json");
        String[] common = {"--hf", GPT2.toString(), "--data-dir", fixtures().toString(), "--bootstrap-iters", "0", "--threads", "1"};
        assertThat(run(concat(common, "--tasks", "piqa", "--out", out.toString())).exit()).isZero();
        assertThat(run(concat(common, "--tasks", "copa", "--out", out.toString())).exit()).isZero();
        JsonNode merged = new ObjectMapper().readTree(out.toFile());
        assertThat(merged.get("results").fieldNames()).toIterable().containsExactlyInAnyOrder("piqa", "copa");

        Path notes = Files.writeString(dir.resolve("notes.json"), "{\"my\": \"notes\"}");
        FolderState before = FolderState.of(dir);
        run(concat(common, "--tasks", "copa", "--out", notes.toString())).assertRefused(2, "notes.json exists and is not a results file");
        before.assertUnchanged();

        CommandOutput other = run("--hf", GPT2.getParent().resolve("bloom").toString(), "--data-dir", fixtures().toString(), "--tasks", "copa",
                "--threads", "1", "--out", out.toString());
        other.assertRefused(2, "holds the results of hf gpt2");
        run(concat(common, "--tasks", "copa", "--out", dir.toString())).assertRefused(2, "is a folder");
        run("--hf", GPT2.toString(), "--data-dir", fixtures().toString(), "--tasks", "copa", "--threads", "-1")
                .assertRefused(2, "--threads must be between 0");
        run("--hf", GPT2.toString(), "--data-dir", fixtures().toString(), "--tasks", "copa", "--encoding", "2022")
                .assertRefused(2, "'2022' is not a tokenization rule");
        run("--hf", GPT2.toString(), "--data-dir", fixtures().toString(), "--tasks", "copa", "--batch-tokens", "2147483647")
                .assertRefused(2, "--batch-tokens 2,147,483,647 is too large for this model's seq-len 16");
        before.assertUnchanged();
    }

    @Test
    void tasksListShowsEveryTaskItsMetricsAndWhichOfItsSourcesAreFound() throws Exception {
        CommandOutput listed = run("--tasks", "list", "--data-dir", fixtures().toString());
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out()).contains("lambada (also lambada_openai): lm-evaluation-harness v0.3").contains("metrics [ppl, acc]")
                .contains("rte: lm-evaluation-harness v0.3 lm_eval/tasks/glue.py (RTE, VERSION 0); metrics [acc]")
                .contains("jsonl hf/glue/rte/validation.jsonl (harness-exact)  [found]")
                .contains("tsv-quoted glue_rte/dev.tsv (harness-exact)  [missing]");
        assertThat(run("--tasks", "copa", "--data-dir", fixtures().toString()).err()).contains("give the model: --checkpoint RUN_DIR or --hf DIR");
    }

    private static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * Readers never touch a run: evaluating a run over and over while it trains (a checkpoint
     * every step, two kept, so pruning and in-flight .tmp folders happen throughout) neither breaks
     * the training nor hands the evaluator a half-written or vanished checkpoint without saying so.
     */
    @Test
    void evaluatingARunWhileItTrainsNeverDisturbsIt() throws Exception {
        Path runDir = dir.resolve("training");
        java.util.concurrent.CompletableFuture<Integer> training = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                new CommandLine(new TrainCommand()).execute("--preset", "debug", "--set", "train.steps=60", "--set",
                        "checkpoint.interval=1", "--set", "checkpoint.keep=2", "--set", "train.threads=1", "--set",
                        "train.eval-interval=0", "--run-dir", runDir.toString()));
        int evaluations = 0;
        try {
            while (!Files.isDirectory(runDir.resolve("checkpoints/step-00000001")) && !training.isDone()) {
                Thread.sleep(20);
            }
            while (!training.isDone()) {
                CommandOutput run = run("--checkpoint", runDir.toString(), "--tasks", "copa", "--data-dir", fixtures().toString(), "--threads", "1");
                assertThat(run.exit() == 0 || run.err().contains("was deleted while it was being read"))
                        .as("exit %d: %s", run.exit(), run.err()).isTrue();
                evaluations++;
            }
        } finally {
            training.join();
        }
        assertThat(training.get()).as("the training run").isZero();
        assertThat(evaluations).as("evaluations during training").isPositive();
        assertThat(runDir.resolve("checkpoints/step-00000060")).isDirectory();
        try (var listing = Files.list(runDir.resolve("checkpoints"))) {
            assertThat(listing.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("step-00000059", "step-00000060");
        }
    }

    @Test
    void aTrainedRunIsScoredAndItsResultsLandInTheRunFolder() throws Exception {
        Path runDir = dir.resolve("run");
        int trained = new CommandLine(new TrainCommand()).execute("--preset", "debug", "--set", "train.steps=4",
                "--set", "checkpoint.interval=2", "--run-dir", runDir.toString());
        assertThat(trained).isZero();
        CommandOutput run = run("--checkpoint", runDir.toString(), "--tasks", "copa", "--data-dir", fixtures().toString(), "--threads", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(runDir.resolve("eval/step-4.json").toFile());
        assertThat(json.get("results").get("copa").get("acc").asDouble()).isBetween(0.0, 1.0);
        assertThat(json.get("config").get("model_args").asText()).contains("step-00000004");
        CommandOutput more = run("--checkpoint", runDir.toString(), "--tasks", "rte,no_such_data", "--task-dir", extraTask().toString(),
                "--data-dir", fixtures().toString(), "--threads", "1");
        assertThat(more.exit()).as(more.err()).isZero();
        JsonNode merged = new ObjectMapper().readTree(runDir.resolve("eval/step-4.json").toFile());
        assertThat(merged.get("results").fieldNames()).toIterable().containsExactlyInAnyOrder("rte", "copa");
        assertThat(run("--checkpoint", runDir.toString(), "--tasks", "no_such_data", "--task-dir", extraTask().toString(),
                "--data-dir", fixtures().toString()).exit()).isEqualTo(2);
        assertThat(new ObjectMapper().readTree(runDir.resolve("eval/step-4.json").toFile())).isEqualTo(merged);
        CommandOutput earlier = run("--checkpoint", runDir.resolve("checkpoints/step-00000002").toString(), "--tasks", "copa",
                "--data-dir", fixtures().toString(), "--threads", "1");
        assertThat(earlier.exit()).as(earlier.err()).isZero();
        assertThat(runDir.resolve("eval/step-2.json")).exists();
        Files.delete(runDir.resolve("eval/step-2.json"));
        CommandOutput all = run("--checkpoint", runDir.toString(), "--all-checkpoints", "--tasks", "copa", "--data-dir", fixtures().toString(), "--threads", "1");
        assertThat(all.exit()).as(all.err()).isZero();
        assertThat(runDir.resolve("eval/step-2.json")).exists();
        assertThat(all.out()).contains("step-00000002").contains("step-00000004");
    }

    /**
     * A model whose weights and one forward pass of --batch-tokens do not fit the memory available
     * (injected: 1 MiB) is refused before it is built, from a checkpoint folder as from a Hugging
     * Face folder, with the estimate and the option to lower; nothing is written.
     */
    @Test
    void aModelAboveTheMachinesMemoryIsRefusedWithItsEstimateBeforeItIsBuilt() throws Exception {
        Path imported = dir.resolve("imported");
        assertThat(new CommandLine(new ablate.trainer.cli.ImportHfCommand()).execute(GPT2.toString(), "--out", imported.toString())).isZero();
        Path out = dir.resolve("results.json");
        for (String[] model : List.of(new String[] {"--checkpoint", imported.toString()}, new String[] {"--hf", GPT2.toString()})) {
            EvalCommand command = new EvalCommand();
            command.availableMemory = device -> new AvailableMemory(1 << 20, 1L << 30, true);
            CommandOutput run = run(command, concat(model, "--tasks", "copa", "--data-dir", fixtures().toString(), "--threads",
                    "1", "--out", out.toString()));
            run.assertRefused(2);
            assertThat(run.err().lines().filter(line -> line.startsWith("error: "))).singleElement().asString()
                    .startsWith("error: this model needs about ").contains(" to score (").contains(" of fp32 weights; ")
                    .contains(" of activations for a forward pass of 1,024 tokens in rows of up to 16; ")
                    .endsWith(" and this machine has 1.0 MiB; lower --batch-tokens (now 1,024), run on a GPU (--device cuda:0) or on a"
                            + " machine with more memory");
            assertThat(run.out()).doesNotContain("model: ");
            assertThat(out).doesNotExist();
        }
        // a budget under the longest request: that request is scored alone, and the estimate is its pass (copa's rows reach
        // the fixture's seq-len, 16)
        EvalCommand command = new EvalCommand();
        command.availableMemory = device -> new AvailableMemory(1 << 10, 1L << 30, true);
        CommandOutput run = run(command, "--hf", GPT2.toString(), "--tasks", "copa", "--data-dir", fixtures().toString(), "--threads", "1",
                "--batch-tokens", "4", "--out", out.toString());
        run.assertRefused(2, " of activations for a forward pass of 16 tokens in rows of up to 16; ",
                "the longest request of these tasks may take 16 tokens, more than --batch-tokens (4), and is scored in a pass of its own");
        assertThat(out).doesNotExist();
    }

    /** eval --hf checks config.json against the weights before anything is allocated, as import-hf does. */
    @Test
    void anHfFolderWhoseConfigDoesNotDescribeItsWeightsIsBadInput() throws Exception {
        Path hf = Files.createDirectories(dir.resolve("hf"));
        try (var files = Files.list(GPT2)) {
            for (Path f : files.toList()) {
                Files.copy(f, hf.resolve(f.getFileName()));
            }
        }
        Path config = hf.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"n_layer\": 2", "\"n_layer\": 1000000"));
        FolderState before = FolderState.of(dir);
        CommandOutput run = run("--hf", hf.toString(), "--tasks", "copa", "--data-dir", fixtures().toString(), "--threads", "1");
        run.assertRefused(2);
        before.assertUnchanged();
        assertThat(run.err().lines().filter(line -> line.startsWith("error: "))).containsExactly("error: " + config
                + " says n_layer = 1000000 but model.safetensors holds weights for 2 layers (h.0, h.1)");
    }

    @Test
    void noRunnableTaskIsBadInput() throws Exception {
        CommandOutput run = run("--hf", GPT2.toString(), "--tasks", "no_such_data", "--task-dir", extraTask().toString(),
                "--data-dir", fixtures().toString());
        assertThat(run.exit()).isEqualTo(2);
        CommandOutput unknown = run("--hf", GPT2.toString(), "--tasks", "piqaa", "--data-dir", fixtures().toString());
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("piqa");
    }

    private Path extraTask() throws Exception {
        Path defs = Files.createDirectories(dir.resolve("defs"));
        Files.writeString(defs.resolve("no_such_data.conf"), clozeTask("no_such_data", "nowhere.jsonl"));
        return defs;
    }

    private static Path fixtures() throws URISyntaxException {
        return Path.of(EvalCommandTest.class.getResource("/tasks/data").toURI());
    }

    /** A task definition (a --task-dir *.conf): a cloze task scored by acc on {@code file}'s context/continuation lines. */
    static String clozeTask(String name, String file) {
        return """
                name = %s
                version = 0
                harness = "test"
                split = test
                kind = cloze
                text = "{{context}}"
                target = "{{continuation}}"
                metrics = [{name = acc}]
                sources = [{format = cloze, files = ["%s"]}]
                """.formatted(name, file);
    }

    /** What `ablate eval` printed and returned (also for the other eval tests of this package). */
    static CommandOutput run(String... args) {
        return run(new EvalCommand(), args);
    }

    static CommandOutput run(EvalCommand command, String... args) {
        return CommandOutput.of(() -> new CommandLine(command).execute(args));
    }
}
