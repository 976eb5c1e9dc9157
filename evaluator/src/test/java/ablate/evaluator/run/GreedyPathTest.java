package ablate.evaluator.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.Settings;
import ablate.evaluator.scoring.HarnessEncoding;
import ablate.evaluator.scoring.LanguageModel;
import ablate.evaluator.scoring.ModelRunner;
import ablate.evaluator.scoring.Request;
import ablate.evaluator.scoring.Response;
import ablate.evaluator.scoring.TokenScorer;
import ablate.evaluator.tasks.TaskRegistry;
import ablate.trainer.data.ByteTokenizer;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The greedy path end to end (is_greedy = true, LAMBADA's acc), on a hand-set model whose every
 * prediction is known: all weights zero but the final LayerNorm's bias (e_0) and one embedding
 * entry, so the logits at every position are 1 for the byte 'a' and 0 for every other row. Then
 * log p('a') = 1 - log(e + V - 1) and log p(other) = -log(e + V - 1), V being the logits' rows, and a
 * continuation is greedy exactly when it is all 'a'. The same holds for an encoder-decoder whose
 * decoder's final LayerNorm is so set (its encoder's output is then read by nothing that matters).
 */
class GreedyPathTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"CAUSAL_DECODER", "ENCODER_DECODER"})
    void aContinuationIsGreedyExactlyWhenEveryTokenIsTheArgmaxAndLambadasAccCountsThose(Architecture architecture) throws Exception {
        ModelConfig debug = Settings.load(Settings.Sources.ofPreset("debug")).model();
        ModelConfig config = debug.withArchitecture(architecture, debug.seqLen());
        String finalNorm = architecture == Architecture.ENCODER_DECODER ? "decoder.ln_f.bias" : "ln_f.bias";
        ByteTokenizer bytes = new ByteTokenizer();
        try (NDManager m = NDManager.newBaseManager();
                ablate.trainer.model.LanguageModel model = ablate.trainer.model.LanguageModel.create(m, config, 1, DataType.FLOAT32)) {
            for (Map.Entry<String, NDArray> p : model.parameters().all().entrySet()) {
                float[] values = new float[(int) p.getValue().size()];
                if (p.getKey().equals(finalNorm)) {
                    values[0] = 1; // the final LayerNorm's output at every position: e_0 (its weight is 0)
                } else if (p.getKey().equals("wte")) {
                    values['a' * config.dModel()] = 1; // logits = wte . e_0: 1 for 'a', 0 elsewhere
                }
                Torch.copyInto(p.getValue(), values);
            }
            LanguageModel lm = LanguageModel.of(new LanguageModel.Spec(config, bytes, bytes.eosId()), new TokenScorer.Options(1024, true),
                    HarnessEncoding.Rule.HARNESS_2022, new ModelRunner(model, bytes));
            List<Response.LogLikelihood> r = lm.logLikelihood(List.of(new Request.LogLikelihood("xyz", "a"),
                    new Request.LogLikelihood("xyz", "aaa"), new Request.LogLikelihood("xyz", " a"), new Request.LogLikelihood("xyz", "b")));
            double denominator = Math.log(Math.E + config.paddedVocab() - 1);
            assertThat(r).extracting(Response.LogLikelihood::greedy).containsExactly(true, true, false, false);
            assertThat(r.get(0).logLikelihood()).isCloseTo(1 - denominator, within(1e-5));
            assertThat(r.get(1).logLikelihood()).isCloseTo(3 * (1 - denominator), within(1e-5));
            assertThat(r.get(2).logLikelihood()).isCloseTo(-denominator + (1 - denominator), within(1e-5));
            assertThat(r.get(3).logLikelihood()).isCloseTo(-denominator, within(1e-5));

            // LAMBADA's metrics on four documents: acc = 2/4, ppl = exp(-mean loglikelihood)
            Files.createDirectories(dir.resolve("data"));
            Files.writeString(dir.resolve("data/cloze.jsonl"), """
                    {"context": "xyz", "continuation": "a"}
                    {"context": "xyz", "continuation": "aaa"}
                    {"context": "xyz", "continuation": " a"}
                    {"context": "xyz", "continuation": "b"}
                    """);
            Files.writeString(dir.resolve("greedy.conf"), """
                    name = greedy
                    version = 0
                    harness = "LAMBADA's shape"
                    split = test
                    kind = cloze
                    text = "{{context}}"
                    target = "{{continuation}}"
                    metrics = [{name = acc}, {name = ppl}]
                    sources = [{format = cloze, files = ["cloze.jsonl"]}]
                    """);
            Evaluation.Outcome outcome = new Evaluation(new Evaluation.Options(0, 0, 0))
                    .run(TaskRegistry.load(List.of(dir.resolve("greedy.conf"))).resolve("greedy"), dir.resolve("data"), lm);
            Map<String, Double> values = outcome.results().getFirst().values();
            assertThat(values.get("acc")).isEqualTo(0.5);
            double meanLogLikelihood = r.stream().mapToDouble(Response.LogLikelihood::logLikelihood).sum() / 4;
            assertThat(values.get("ppl")).isCloseTo(Math.exp(-meanLogLikelihood), within(1e-6 * values.get("ppl")));

            // TriviaQA's and WebQuestions' 2022 acc: right when any alias is the greedy continuation
            Files.writeString(dir.resolve("data/aliases.jsonl"), """
                    {"question": "xyz", "answers": ["b", "aa"]}
                    {"question": "xyz", "answers": ["b", "ab"]}
                    {"question": "xyz", "answers": ["a"]}
                    """);
            Files.writeString(dir.resolve("aliases.conf"), """
                    name = aliases
                    version = 0
                    harness = "TriviaQA's shape"
                    split = test
                    kind = alias-greedy
                    text = "{{question}}"
                    target = "{{answers[0]}}"
                    answers = "{{answers}}"
                    answer-prefix = ""
                    metrics = [{name = acc}]
                    sources = [{format = jsonl, files = ["aliases.jsonl"]}]
                    """);
            Evaluation.Outcome aliases = new Evaluation(new Evaluation.Options(0, 0, 0))
                    .run(TaskRegistry.load(List.of(dir.resolve("aliases.conf"))).resolve("aliases"), dir.resolve("data"), lm);
            assertThat(aliases.results().getFirst().values().get("acc")).isCloseTo(2.0 / 3, within(1e-12));
        }
    }
}
