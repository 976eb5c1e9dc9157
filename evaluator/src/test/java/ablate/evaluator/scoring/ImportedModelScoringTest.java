package ablate.evaluator.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.hf.Pretrained;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole scoring path on imported Hugging Face checkpoints against the harness's arithmetic on
 * the architectures' reference logits (trainer's HF fixtures: tokens and logits from
 * ops/hf/reference_models.py): for every split of each fixture sequence into context and
 * continuation, loglikelihood = sum of log-softmax of the reference logits at the continuation's
 * tokens, is_greedy = every one of them the argmax. Requests sharing a context are packed into one
 * row, so this also checks packing on ALiBi, rotary with parallel residual, and grouped-query
 * attention.
 */
class ImportedModelScoringTest {
    private static final Path FIXTURES = Path.of("../trainer/src/test/resources/hf");

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "bloom", "gpt_neox", "gpt_neox-bf16", "llama"})
    void scoresMatchTheHarnessArithmeticOnTheReferenceLogits(String arch) throws Exception {
        Path dir = FIXTURES.resolve(arch);
        float[] tokenValues = Safetensors.read(dir.resolve("reference.safetensors"), "tokens");
        float[] logits = Safetensors.read(dir.resolve("reference.safetensors"), "logits");
        int rows = 2;
        int t = tokenValues.length / rows;
        int vocab = logits.length / (rows * t);
        List<TokenRequest> requests = new ArrayList<>();
        List<double[]> expected = new ArrayList<>(); // {loglikelihood, greedy ? 1 : 0}
        for (int r = 0; r < rows; r++) {
            int[] row = new int[t];
            for (int i = 0; i < t; i++) {
                row[i] = (int) tokenValues[r * t + i];
            }
            for (int k = 1; k < t; k++) {
                for (int end : new int[] {k + 1, t}) { // a one-token and a full continuation share the context
                    if (end == k + 1 && end == t) {
                        continue;
                    }
                    requests.add(new TokenRequest(Arrays.copyOf(row, k), Arrays.copyOfRange(row, k, end)));
                    double ll = 0;
                    boolean greedy = true;
                    for (int p = k; p < end; p++) {
                        int at = (r * t + p - 1) * vocab;
                        float[] l = Arrays.copyOfRange(logits, at, at + vocab);
                        ll += logSoftmax(l, row[p]);
                        greedy &= argmax(l) == row[p];
                    }
                    expected.add(new double[] {ll, greedy ? 1 : 0});
                }
            }
        }
        try (NDManager m = NDManager.newBaseManager(); Pretrained model = Pretrained.loadHf(dir, m)) {
            List<Response.LogLikelihood> shared = new TokenScorer(model.decoder(), new TokenScorer.Options(1024, true)).score(requests);
            List<Response.LogLikelihood> single = new TokenScorer(model.decoder(), new TokenScorer.Options(1, false)).score(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(shared.get(i).logLikelihood()).as("%s request %d", arch, i).isCloseTo(expected.get(i)[0], within(1e-4));
                assertThat(single.get(i).logLikelihood()).as("%s request %d alone", arch, i).isCloseTo(expected.get(i)[0], within(1e-4));
                assertThat(shared.get(i).greedy()).as("%s request %d greedy", arch, i).isEqualTo(expected.get(i)[1] == 1);
                assertThat(single.get(i).greedy()).isEqualTo(shared.get(i).greedy());
            }
        }
    }

    private static double logSoftmax(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[token] - max - Math.log(sum);
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
