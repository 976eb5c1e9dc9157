package ablate.evaluator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ablate.evaluator.scoring.EncoderDecoderLanguageModel;
import ablate.evaluator.tasks.Task;
import ablate.evaluator.tasks.TaskRegistry;
import ablate.testing.CommandOutput;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.cli.ImportHfCommand;
import ablate.trainer.cli.TrainCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * `ablate eval` on an encoder-decoder end to end: a tiny one trained a few steps with span
 * corruption is scored on every built-in task's fixture data (and on TriviaQA with the newer
 * harness's generated exact_match, which decodes greedily); every task gets its results but the
 * perplexity task, which is skipped naming the reason in the output and in the results file; every
 * checkpoint of the run is scored with --all-checkpoints. A Hugging Face t5 is scored behind its
 * own decoder start token, against PyTorch's numbers.
 */
class EncoderDecoderEvalTest {
    private static final Path T5_START0 = Path.of("../trainer/src/test/resources/hf/t5-start0");

    @TempDir
    Path dir;

    @Test
    void everyTaskRunsOnAnEncoderDecoderButPerplexityWhichIsSkippedWithTheReason() throws Exception {
        Path runDir = dir.resolve("t5");
        int trained = new CommandLine(new TrainCommand()).execute("--preset", "debug", "--set", "model.architecture=encoder-decoder",
                "--set", "train.objective=span-corruption", "--set", "train.steps=4", "--set", "checkpoint.interval=2", "--set",
                "train.threads=1", "--run-dir", runDir.toString());
        assertThat(trained).isZero();
        Path extra = Files.createDirectories(dir.resolve("defs"));
        String triviaqa = new String(EncoderDecoderEvalTest.class.getResourceAsStream("/tasks/triviaqa.conf").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        Files.writeString(extra.resolve("triviaqa_em.conf"), triviaqa.replace("name = triviaqa", "name = triviaqa_em")
                .replace("metrics = [{name = acc}]", "metrics = [{name = acc}, {name = exact_match}]"));

        CommandOutput run = EvalCommandTest.run("--checkpoint", runDir.toString(), "--tasks", "all", "--task-dir", extra.toString(),
                "--data-dir", fixtures().toString(), "--bootstrap-iters", "100", "--threads", "1", "--all-checkpoints");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("skipped wikitext: rolling loglikelihood (perplexity of whole documents) has no meaning for an"
                + " encoder-decoder");

        List<String> expected = new ArrayList<>();
        for (Task t : TaskRegistry.load(List.of(extra)).all()) {
            if (!t.name().equals("wikitext")) {
                expected.add(t.name());
            }
        }
        for (String step : List.of("step-2.json", "step-4.json")) {
            JsonNode json = new ObjectMapper().readTree(runDir.resolve("eval").resolve(step).toFile());
            assertThat(json.get("results").fieldNames()).toIterable().as("%s: %s", step, run.out()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(json.get("ablate").get("skipped").get("wikitext").asText()).isEqualTo(EncoderDecoderLanguageModel.ROLLING_REFUSED);
            assertThat(json.get("results").get("lambada").get("ppl").asDouble()).as("lambada keeps both its metrics").isPositive();
            assertThat(json.get("results").get("lambada").has("acc")).isTrue();
            assertThat(json.get("results").get("triviaqa_em").get("exact_match").asDouble()).isBetween(0.0, 1.0);
            assertThat(json.get("config").get("model_args").asText()).contains("step-0000000" + step.charAt(5));
        }
    }

    /**
     * A Hugging Face t5 whose decoder starts with decoder_start_token_id = 0, as T5's own checkpoints
     * do, is scored behind 0: {@code ablate eval --hf} on trainer's t5-start0 fixture logs the
     * loglikelihoods that ops/hf/reference_models.py computed in PyTorch (context + EOS in the
     * encoder, [0] + continuation[:-1] in the decoder), and so does its import-hf output, which
     * records the start token. The same folder whose config.json says 1 (EOS) gets the reference's
     * sums behind EOS instead, which differ, so the start token is what this measures.
     */
    @Test
    void aT5IsScoredBehindItsOwnDecoderStartToken() throws Exception {
        Path reference = T5_START0.resolve("reference.safetensors");
        float[] behindStart = Safetensors.read(reference, "loglikelihoods");
        float[] behindEos = Safetensors.read(reference, "loglikelihoods_behind_eos");
        float[] greedy = Safetensors.read(reference, "greedy");
        JsonNode documents = new ObjectMapper().readTree(Safetensors.metadata(reference).get("documents"));
        Path tasks = Files.createDirectories(dir.resolve("start0"));
        Files.writeString(tasks.resolve("start0.conf"), """
                name = start0
                version = 0
                harness = "trainer's hf/t5-start0 fixture (ops/hf/reference_models.py)"
                split = test
                kind = multiple-choice
                text = "{{query}}"
                choices = "{{choices}}"
                gold = "{{gold}}"
                metrics = [{name = acc}]
                sources = [{format = multiple-choice, files = ["start0.jsonl"]}]
                """);
        StringBuilder lines = new StringBuilder();
        documents.forEach(d -> lines.append(d).append('\n'));
        Files.writeString(tasks.resolve("start0.jsonl"), lines);

        Path imported = dir.resolve("imported");
        assertThat(new CommandLine(new ImportHfCommand()).execute(T5_START0.toString(), "--out", imported.toString())).isZero();
        Path startsWithEos = Files.createDirectories(dir.resolve("t5-start1"));
        try (var files = Files.list(T5_START0)) {
            for (Path f : files.toList()) {
                Files.copy(f, startsWithEos.resolve(f.getFileName()));
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(startsWithEos.resolve("config.json").toFile());
        json.writeValue(startsWithEos.resolve("config.json").toFile(), config.put("decoder_start_token_id", 1));

        List<JsonNode> logged = scored(documents, tasks, "--hf", T5_START0.toString());
        double apart = 0;
        for (int i = 0; i < behindStart.length; i++) {
            assertThat(logged.get(i).get(0).asDouble()).as("request %d behind 0", i).isCloseTo(behindStart[i], within(1e-4));
            assertThat(logged.get(i).get(1).asBoolean()).as("request %d greedy", i).isEqualTo(greedy[i] == 1);
            apart = Math.max(apart, Math.abs(behindStart[i] - behindEos[i]));
        }
        assertThat(apart).as("the reference's sums behind 0 and behind EOS").isGreaterThan(0.1);
        List<JsonNode> fromImport = scored(documents, tasks, "--checkpoint", imported.toString());
        for (int i = 0; i < behindStart.length; i++) {
            assertThat(fromImport.get(i).get(0).asDouble()).as("request %d of the import", i)
                    .isCloseTo(logged.get(i).get(0).asDouble(), within(1e-6));
        }
        List<JsonNode> eos = scored(documents, tasks, "--hf", startsWithEos.toString());
        for (int i = 0; i < behindEos.length; i++) {
            assertThat(eos.get(i).get(0).asDouble()).as("request %d behind EOS", i).isCloseTo(behindEos[i], within(1e-4));
        }
    }

    /**
     * The responses ([loglikelihood, is_greedy]) `ablate eval --log-samples` logs for the start0
     * task's requests, in the order of {@code documents} and their choices (the run shuffles them).
     */
    private List<JsonNode> scored(JsonNode documents, Path tasks, String... model) throws Exception {
        Path out = dir.resolve(Path.of(model[1]).getFileName() + ".json");
        List<String> args = new ArrayList<>(List.of(model));
        args.addAll(List.of("--tasks", "start0", "--task-dir", tasks.toString(), "--data-dir", tasks.toString(), "--bootstrap-iters",
                "0", "--threads", "1", "--out", out.toString(), "--log-samples"));
        CommandOutput run = EvalCommandTest.run(args.toArray(String[]::new));
        assertThat(run.exit()).as(run.err()).isZero();
        java.util.Map<String, JsonNode> byQuery = new java.util.HashMap<>();
        for (String line : Files.readAllLines(dir.resolve(Path.of(model[1]).getFileName() + ".samples/samples_start0.jsonl"))) {
            JsonNode sample = new ObjectMapper().readTree(line);
            byQuery.put(sample.get("doc").get("query").asText(), sample.get("resps"));
        }
        List<JsonNode> responses = new ArrayList<>();
        documents.forEach(d -> byQuery.get(d.get("query").asText()).forEach(responses::add));
        return responses;
    }

    private static Path fixtures() throws Exception {
        return Path.of(EncoderDecoderEvalTest.class.getResource("/tasks/data").toURI());
    }
}
