package ablate.cluster.demo;

import ablate.trainer.cli.Cli;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ablate demo}: the main job on an embedded default, a study on a local cluster of separate JVMs. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a small study end to end on a local cluster: a coordinator, two trainer nodes and an evaluator node "
                + "(separate JVMs on loopback, embedded H2), one axis of the BigScience study (--axis: the positional embeddings none, "
                + "learned, rotary and ALiBi, or the architectures causal decoder, non-causal decoder and encoder-decoder) on the "
                + "built-in corpus, each variant scored on probe tasks made from held-out text, then the results table and the report.",
                "Everything goes under --out: runs/STUDY (the study folder), report/ (report.html, report.md), probes/, logs/. "
                        + "Every node it started is stopped at the end, also on Ctrl-C."},
        footerHeading = "%nExamples:%n",
        footer = {"  ablate demo                                  # about 4-5 minutes on 2 cores",
                "  ablate demo --steps 40 --limit 50 --out /tmp/quick",
                "  ablate demo --corpus my-text.txt             # the same study on your text (paragraphs = documents)",
                "  ablate demo --axis architectures             # causal, non-causal and encoder-decoder at the same compute"})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--axis", paramLabel = "AXIS", defaultValue = "positions", converter = AxisConverter.class,
            description = "What the study compares: positions (none, learned, rotary, alibi) or architectures (causal decoder with "
                    + "full LM, non-causal decoder with prefix LM, encoder-decoder with span corruption, at the same compute). "
                    + "Default: ${DEFAULT-VALUE}.")
    Axis axis;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "demo", description = "Where the runs, report and logs go (must be new or empty). Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "600", description = "Training steps per variant. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "300", description = "Documents per probe task. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--corpus", paramLabel = "FILE", description = "Your own text (UTF-8; paragraphs separated by blank lines are documents; "
            + "every 20th is held out for the probes) instead of the built-in corpus.")
    Path corpus;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Real task files (README, \"Zero-shot evaluation\"); with --tasks.")
    Path dataDir;

    @Option(names = "--tasks", paramLabel = "LIST", split = ",", description = "Real tasks to score besides the probes (their data under --data-dir).")
    List<String> tasks = List.of();

    @Option(names = "--trainers", paramLabel = "N", defaultValue = "2", description = "Trainer nodes. Default: ${DEFAULT-VALUE}.")
    int trainers;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT30M", description = "Give up after this long (ISO-8601). Default: 30 minutes.")
    Duration timeout;

    @Override
    public Integer call() {
        return Cli.guard(() -> {
            if (steps < 1 || limit < 1 || trainers < 1) {
                throw new IllegalArgumentException("--steps, --limit and --trainers must be at least 1");
            }
            if (!tasks.isEmpty() && dataDir == null) {
                throw new IllegalArgumentException("--tasks needs --data-dir (where their files are)");
            }
            return new Demo(new Demo.Plan(axis, out, steps, limit, corpus, dataDir, tasks, trainers, timeout), System.out).run();
        });
    }

    /** {@code positions} or {@code architectures}, and an unknown name refused with the choices. */
    static final class AxisConverter implements picocli.CommandLine.ITypeConverter<Axis> {
        @Override
        public Axis convert(String value) {
            for (Axis a : Axis.values()) {
                if (a.study().equals(value)) {
                    return a;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is no axis; axes: positions, architectures");
        }
    }
}
