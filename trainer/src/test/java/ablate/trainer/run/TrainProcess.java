package ablate.trainer.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** `ablate train` in a separate JVM, so that tests can kill it with SIGKILL. */
final class TrainProcess {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainProcess() {}

    static Process start(Path log, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "ablate.trainer.cli.TrainCommand"));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Runs to completion and fails with the process's output when it does not exit 0. */
    static void runToEnd(Path log, List<String> args) throws IOException, InterruptedException {
        Process p = start(log, args);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("training did not finish in 5 minutes:\n" + Files.readString(log));
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("training exited " + p.exitValue() + ":\n" + Files.readString(log));
        }
    }

    /** The "loss" of every line of metrics.jsonl, in order, after checking steps are 1..n. */
    static List<Double> losses(Path runDir) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(MetricsLog.FILE))) {
            JsonNode n = JSON.readTree(line);
            if (n.get("step").asLong() != losses.size() + 1) {
                throw new AssertionError("metrics.jsonl has step " + n.get("step") + " at line " + (losses.size() + 1));
            }
            losses.add(n.get("loss").asDouble());
        }
        return losses;
    }
}
