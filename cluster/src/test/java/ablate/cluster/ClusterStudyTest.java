package ablate.cluster;

import ablate.cluster.demo.NodeJvm;
import static org.assertj.core.api.Assertions.assertThat;

import ablate.cli.Ablate;
import ablate.cluster.console.ClientEnvironment;
import ablate.cluster.console.ClientFactory;
import ablate.evaluator.probe.ProbeTasks;
import ablate.trainer.data.BuiltinCorpus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A study end to end on a cluster of separate JVMs, driven by the commands a user types: `ablate
 * submit STUDY_FILE` composes and checks the variants and queues them in one study folder, two
 * trainers train them side by side, an evaluator node scores each final checkpoint, and `ablate
 * study` and `ablate results` show them; the study folder is what `ablate report` reads.
 */
class ClusterStudyTest {
    private static final String TOKEN = "study-test-token-8c2f4b";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    @AutoClose
    final Nodes nodes = new Nodes();

    private record Result(int exit, String out, String err) {}

    @Test
    void aStudyOfTwoVariantsIsTrainedScoredAndComparedOnTheCluster() throws Exception {
        Path probes = dir.resolve("probes");
        ProbeTasks.write(probes, IntStream.range(0, 100).mapToObj(i -> BuiltinCorpus.heldOut(1, i)).toList(), 64, 30, 3);
        Path studyFile = Files.writeString(dir.resolve("pos.conf"), """
                preset = debug
                settings {
                  train { steps = 16, threads = 1 }
                  checkpoint.interval = 8
                  eval { tasks = [probe_cloze, probe_order], data-dir = "%s", task-dir = "%s", limit = 30 }
                }
                ablations = [{model.position = alibi}]
                """.formatted(probes, probes.resolve("tasks")));

        List<String> env = List.of("ABLATE_TOKEN=" + TOKEN);
        NodeJvm coordinator = nodes.start(dir, "coordinator", env, "--role", "coordinator", "--http-port", "0", "--data-dir",
                dir.resolve("coordinator").toString(), "--set", "cluster.storage=" + dir.resolve("runs"));
        for (int i = 0; i < 2; i++) {
            nodes.start(dir, "trainer-" + i, env, "--role", "trainer", "--seed", coordinator.address(), "--data-dir",
                    dir.resolve("trainer-" + i).toString(), "--set", "cluster.storage=" + dir.resolve("runs"));
        }
        nodes.start(dir, "evaluator", env, "--role", "evaluator", "--seed", coordinator.address(), "--data-dir", dir.resolve("evaluator").toString(),
                "--set", "cluster.storage=" + dir.resolve("runs"));
        ClusterApi api = new ClusterApi(coordinator.api(), TOKEN);
        api.awaitTrainers(2);

        ClientEnvironment client = new ClientEnvironment(Map.of(ClientEnvironment.COORDINATOR, coordinator.api(), ClientEnvironment.TOKEN,
                TOKEN), dir, Clock.systemUTC(), Duration.ofMillis(100), Duration.ofSeconds(30));
        Result bad = ablate(client, "submit", Files.writeString(dir.resolve("bad.conf"), "preset = debug\nablations = [{model.postion = alibi}]\n")
                .toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("model.postion").contains("bad.conf:2").contains("model.position");

        Result submitted = ablate(client, "submit", studyFile.toString(), "--data-parallel", "1");
        assertThat(submitted.exit()).as(submitted.err()).isZero();
        assertThat(submitted.out()).contains("submitted study pos: 2 runs, base pos/base").contains("pos/position-alibi");

        for (String run : List.of("pos/base", "pos/position-alibi")) {
            assertThat(api.awaitEnd(run, Duration.ofMinutes(3)).path("state").asText()).isEqualTo("finished");
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        JsonNode study;
        do {
            Thread.sleep(200);
            study = JSON.readTree(ablate(client, "study", "pos", "--json").out());
        } while (!(study.get(0).path("eval").path("step").asLong() == 16 && study.get(1).path("eval").path("step").asLong() == 16)
                && System.nanoTime() < deadline);
        assertThat(study).hasSize(2);
        assertThat(study.get(1).path("eval").path("tasks").has("probe_order")).isTrue();
        assertThat(ablate(client, "study", "pos").out()).contains("position-alibi").contains("avg acc");
        Result logs = ablate(client, "logs", "pos/position-alibi");
        assertThat(logs.exit()).as(logs.err()).isZero();
        assertThat(logs.out()).contains("step 16");

        Result table = ablate(client, "results", "pos");
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).contains("| base |").contains("| position-alibi |").contains("probe_order");
        JsonNode results = JSON.readTree(ablate(client, "results", "pos", "--json").out());
        assertThat(results.path("base").asText()).isEqualTo("base");
        assertThat(results.path("variants")).hasSize(2);
        JsonNode alibi = results.path("variants").get(1);
        assertThat(alibi.path("name").asText()).isEqualTo("position-alibi");
        assertThat(alibi.path("delta").isNumber()).isTrue();
        assertThat(alibi.path("final_val_loss").isNumber()).isTrue();
        assertThat(Files.readString(dir.resolve("runs").resolve("pos").resolve("study.conf"))).contains("base = \"base\"");
    }

    private Result ablate(ClientEnvironment env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Ablate(), new ClientFactory(env)).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Result(exit, out.toString(), err.toString());
    }
}
