package ablate.cluster.demo;

import ablate.cli.Ablate;
import ablate.cluster.console.ClientEnvironment;
import ablate.cluster.console.ClientFactory;
import ablate.conf.Settings;
import ablate.evaluator.probe.ProbeTasks;
import ablate.evaluator.report.Report;
import ablate.evaluator.report.Study;
import ablate.trainer.data.BuiltinCorpus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * {@code ablate demo}: writes a study of one axis (positional embeddings by default, or
 * architectures) and its probe tasks,
 * starts a local cluster (a coordinator, trainers and an evaluator, each a JVM of its own), submits
 * the study as a user would, follows it, prints the comparison, writes the report, and stops every
 * node it started.
 */
final class Demo {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The demo's model: the tiny preset (4 layers, d=128, 4 heads, a window of 128 bytes). */
    private static final String PRESET = "tiny";
    private static final int WINDOW = 128;

    /** What the command line asked for. */
    record Plan(Axis axis, Path out, int steps, int limit, Path corpus, Path dataDir, List<String> tasks, int trainers, Duration timeout) {}

    private final Plan plan;
    private final PrintStream out;

    Demo(Plan plan, PrintStream out) {
        this.plan = plan;
        this.out = out;
    }

    int run() throws Exception {
        long start = System.nanoTime();
        Path root = plan.out().toAbsolutePath().normalize();
        if (Files.exists(root)) {
            try (Stream<Path> children = Files.list(root)) {
                if (children.findAny().isPresent()) {
                    throw new IllegalArgumentException("--out " + plan.out() + " holds files (an earlier demo?); give a new folder or remove it");
                }
            }
        }
        Files.createDirectories(root);
        Path studyFile = writeStudy(root);
        out.printf("study: %s (%s; %d steps each)%n", studyFile, plan.axis().description(), plan.steps());
        String study = plan.axis().study();
        Path studyDir = root.resolve("runs").resolve(study);
        try (LocalCluster cluster = LocalCluster.start(root, plan.trainers(), out)) {
            ClientEnvironment client = new ClientEnvironment(Map.of(ClientEnvironment.COORDINATOR, cluster.api(), ClientEnvironment.TOKEN,
                    cluster.token()), root, Clock.systemUTC(), Duration.ofSeconds(1), Duration.ofSeconds(30));
            Command submitted = ablate(client, "submit", studyFile.toString(), "--data-parallel", "1");
            out.print(submitted.out());
            if (submitted.exit() != 0) {
                throw new IllegalArgumentException("the study was refused: " + submitted.err().strip().replaceFirst("^error: ", ""));
            }
            out.printf("dashboard: http://%s/#token=%s&/study/%s (live while the demo runs)%n", cluster.api(), cluster.token(), study);
            boolean ok = new StudyProgress(client, study, plan.steps(), out).follow(Duration.ofNanos(plan.timeout().toNanos()
                    - (System.nanoTime() - start)));
            Command results = ablate(client, "results", study);
            out.println();
            out.print(results.exit() == 0 ? results.out() : results.err());
            Path reportDir = root.resolve("report");
            Report report = new Report(Study.load(List.of(studyDir)));
            Path html = report.write(reportDir);
            out.println();
            out.println(verdicts(report));
            out.printf("runs:      %s%nreport:    %s (and report.md)%nlogs:      %s%ndashboard: ablate dashboard %s (the same pages,"
                            + " read-only, now that the cluster stops)%n",
                    studyDir, html, root.resolve("logs"), studyDir);
            out.printf("stopping the nodes; %.0f s in all%n", (System.nanoTime() - start) / 1e9);
            return ok && results.exit() == 0 ? 0 : 1;
        }
    }

    /** Probe tasks (and, with --data-dir, the user's task files) under eval-data/, the study file beside them. */
    private Path writeStudy(Path root) throws IOException {
        Path evalData = Files.createDirectories(root.resolve("eval-data"));
        List<String> heldOut;
        String data = "";
        if (plan.corpus() != null) {
            CorpusSplit split = CorpusSplit.prepare(plan.corpus(), root.resolve("corpus"));
            heldOut = split.heldOut();
            data = "  data.corpora = [{path = \"" + split.prepared() + "\", weight = 1}]\n";
        } else {
            long seed = Settings.load(Settings.Sources.ofPreset(PRESET)).train().seed();
            heldOut = IntStream.range(0, 4 * plan.limit()).mapToObj(i -> BuiltinCorpus.heldOut(seed, i)).toList();
        }
        Map<String, Integer> probes = ProbeTasks.write(evalData, heldOut, WINDOW, plan.limit(), 20261201);
        out.println("probe tasks from held-out text (documents each): " + probes);
        if (probes.values().stream().anyMatch(n -> n < Math.min(50, plan.limit()))) {
            out.println("warning: few probe documents (the held-out text has few sentences of at most " + WINDOW / 2
                    + " characters); the verdicts will be weak: give a longer --corpus");
        }
        if (plan.dataDir() != null) {
            try (Stream<Path> entries = Files.list(plan.dataDir())) {
                for (Path e : entries.toList()) {
                    if (!Files.exists(evalData.resolve(e.getFileName().toString()))) {
                        Files.createSymbolicLink(evalData.resolve(e.getFileName().toString()), e.toAbsolutePath());
                    }
                }
            }
        }
        List<String> tasks = new ArrayList<>(ProbeTasks.NAMES);
        tasks.addAll(plan.tasks());
        String text = """
                # Written by `ablate demo`: %s, at CPU size.
                name = %s
                preset = %s
                settings {
                %s  train { steps = %d, threads = 1, eval-interval = %d }
                  checkpoint.interval = %d
                  eval { tasks = [%s], data-dir = "%s", task-dir = "%s", limit = %d }
                %s}
                ablations = [
                %s]
                """.formatted(plan.axis().description(), plan.axis().study(), PRESET, plan.axis().base(), plan.steps(),
                Math.max(1, plan.steps() / 5), plan.steps(), String.join(", ", tasks), evalData, evalData.resolve("tasks"),
                plan.limit(), data, plan.axis().ablations(PRESET));
        return Files.writeString(root.resolve("study.conf"), text);
    }

    /** One line per variant on whether the probes separate it from the base beyond the noise. */
    private static String verdicts(Report report) {
        StringBuilder s = new StringBuilder("verdicts (paired t-test over the tasks, 5%, two-sided):");
        boolean any = false;
        for (Map<String, Object> row : report.summary()) {
            if (Boolean.TRUE.equals(row.get("base"))) {
                continue;
            }
            any |= Boolean.TRUE.equals(row.get("significant"));
            s.append(String.format("%n  %-18s %s", row.get("name"), row.get("verdict").toString().isEmpty() ? "not evaluated" : row.get("verdict")));
        }
        s.append(any ? "" : String.format("%n  none of the differences is beyond the noise of these probes: train longer (--steps) or add"
                + " documents (--limit) to tell the variants apart"));
        return s.toString();
    }

    record Command(int exit, String out, String err) {}

    static Command ablate(ClientEnvironment env, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int exit = new CommandLine(new Ablate(), new ClientFactory(env)).setOut(new PrintWriter(o)).setErr(new PrintWriter(e)).execute(args);
        return new Command(exit, o.toString(), e.toString());
    }

    static JsonNode json(Command c) throws IOException {
        return JSON.readTree(c.out());
    }

    static String token() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
