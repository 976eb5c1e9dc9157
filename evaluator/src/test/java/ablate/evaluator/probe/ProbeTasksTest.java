package ablate.evaluator.probe;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.evaluator.run.Evaluation;
import ablate.evaluator.scoring.Request;
import ablate.evaluator.tasks.Task;
import ablate.evaluator.tasks.TaskRegistry;
import ablate.trainer.data.BuiltinCorpus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeTasksTest {
    @TempDir
    Path dir;

    @Test
    void probesAreHarnessTasksWhoseRequestsFitTheWindowAndWhoseDistractorsAreWrong() throws Exception {
        List<String> docs = IntStream.range(0, 400).mapToObj(i -> BuiltinCorpus.heldOut(5, i)).toList();
        assertThat(ProbeTasks.write(dir, docs, 96, 50, 1)).containsOnlyKeys(ProbeTasks.NAMES).allSatisfy((t, n) -> assertThat(n).isEqualTo(50));
        assertThat(ProbeTasks.write(dir.resolve("again"), docs, 96, 50, 1)).isEqualTo(ProbeTasks.write(dir.resolve("again2"), docs, 96, 50, 1));
        assertThat(Files.readString(dir.resolve("again/probe/order.jsonl"))).isEqualTo(Files.readString(dir.resolve("again2/probe/order.jsonl")));

        List<Task> tasks = TaskRegistry.load(List.of(dir.resolve("tasks"))).resolve(String.join(",", ProbeTasks.NAMES));
        Evaluation.Prepared prepared = new Evaluation(new Evaluation.Options(0, -1, 0)).prepare(tasks, dir);
        assertThat(prepared.skipped()).isEmpty();
        for (Evaluation.Planned p : prepared.tasks()) {
            assertThat(p.docs()).as(p.task().name()).hasSize(50);
            for (List<Request> requests : p.requests()) {
                for (Request r : requests) {
                    Request.LogLikelihood l = (Request.LogLikelihood) r;
                    assertThat((l.context() + l.continuation()).length()).as("%s fits the window", p.task().name()).isLessThanOrEqualTo(97);
                }
            }
        }
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve("probe/order.jsonl"))) {
            JsonNode o = json.readTree(line);
            String truth = o.get("choices").get(o.get("gold").asInt()).asText();
            char[] sorted = truth.toCharArray();
            Arrays.sort(sorted);
            for (JsonNode c : o.get("choices")) {
                char[] other = c.asText().toCharArray();
                Arrays.sort(other);
                assertThat(other).as("a reordering holds the same characters").isEqualTo(sorted);
            }
            assertThat(o.get("choices")).extracting(JsonNode::asText).doesNotHaveDuplicates();
        }
        for (String line : Files.readAllLines(dir.resolve("probe/copy.jsonl"))) {
            JsonNode o = json.readTree(line);
            String truth = o.get("choices").get(o.get("gold").asInt()).asText();
            assertThat(o.get("query").asText()).as("the copied word followed the same two words before").contains(truth);
        }
    }
}
