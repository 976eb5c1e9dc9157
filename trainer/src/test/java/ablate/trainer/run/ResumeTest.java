package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run killed with SIGKILL at random moments (during steps, validation or checkpoint writes) and
 * resumed each time produces bitwise the same losses as the same run uninterrupted, in separate JVMs.
 */
class ResumeTest {
    private static final int STEPS = 24;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "model.position=learned",
        "model.position=rotary,model.activation=swiglu,model.attention-mask=prefix,model.dropout=0.1,model.embedding-layernorm=on",
        "model.architecture=encoder-decoder,model.position=alibi,model.dropout=0.1"})
    void resumedRunRepeatsTheUninterruptedLosses(String variant) throws Exception {
        List<String> config = new ArrayList<>(List.of("--preset", "debug", "--set", "train.steps=" + STEPS,
                "--set", "checkpoint.interval=3", "--set", "checkpoint.keep=2", "--set", "train.eval-interval=5",
                "--set", "train.threads=2", "--set", "train.global-batch-size=16", "--set", "train.micro-batch-size=4",
                "--set", "data.builtin.train-documents=4000"));
        for (String kv : variant.split(",")) {
            config.addAll(List.of("--set", kv));
        }
        Path straight = tmp.resolve("straight");
        TrainProcess.runToEnd(tmp.resolve("straight.log"), with(config, straight));
        List<Double> expected = TrainProcess.losses(straight);
        assertThat(expected).hasSize(STEPS);

        Path killed = tmp.resolve("killed");
        Random random = new Random(variant.hashCode());
        int kills = 0;
        for (int attempt = 0; attempt < 3; attempt++) {
            Process p = TrainProcess.start(tmp.resolve("killed-" + attempt + ".log"), attempt == 0 ? with(config, killed)
                    : List.of("--run-dir", killed.toString()));
            // Wait until training is under way, then kill at a random moment of the next second.
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (linesOf(killed) < 2 + attempt * 6 && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(random.nextInt(1000));
            if (p.isAlive()) {
                p.destroyForcibly().waitFor();
                kills++;
                System.out.printf("%s: SIGKILL %d after %d logged steps, checkpoints then: %s%n", variant, kills,
                        linesOf(killed), listing(killed.resolve("checkpoints")));
            } else {
                p.waitFor();
            }
        }
        TrainProcess.runToEnd(tmp.resolve("resumed.log"), List.of("--run-dir", killed.toString()));

        assertThat(kills).as("the run was killed at least once before it finished").isPositive();
        assertThat(TrainProcess.losses(killed)).as("losses after %d SIGKILLs", kills).containsExactlyElementsOf(expected);
        SampleLedger.Verdict ledger = SampleLedger.check(killed.resolve(SampleLedger.FILE));
        assertThat(ledger.problem()).as("the sample ledger after %d SIGKILLs", kills).isEmpty();
        assertThat(ledger.steps()).isEqualTo(STEPS);
        assertThat(ledger.restarts()).as("one restart line per resume").isPositive();
        assertThat(Files.readString(tmp.resolve("resumed.log"))).contains("resumed from");
    }

    private static List<String> with(List<String> config, Path runDir) {
        List<String> args = new ArrayList<>(config);
        args.addAll(List.of("--run-dir", runDir.toString()));
        return args;
    }

    private static List<String> listing(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long linesOf(Path runDir) throws java.io.IOException {
        Path f = runDir.resolve(MetricsLog.FILE);
        if (!Files.exists(f)) {
            return 0;
        }
        try (var lines = Files.lines(f)) {
            return lines.count();
        }
    }
}
