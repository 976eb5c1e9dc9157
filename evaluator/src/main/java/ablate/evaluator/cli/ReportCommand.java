package ablate.evaluator.cli;

import ablate.evaluator.report.Report;
import ablate.evaluator.report.Study;
import ablate.trainer.cli.Cli;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ablate report}: a study's comparison as self-contained HTML and Markdown. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Compare runs and published results: average zero-shot acc ± stderr, per-task scores, final "
                + "validation loss, tokens/s, MFU, the difference to the base with a verdict where it exceeds the noise "
                + "(paired t-test over tasks), loss curves, accuracy against tokens, per-task and throughput bars.",
                "Inputs: run folders (config.conf, metrics.jsonl, eval/step-N.json), study folders (runs and results files, "
                        + "optional study.conf with base = NAME), lm-evaluation-harness or BigScience results files.",
                "Without base = NAME the base is the run every other run differs from in one setting of its config.conf, "
                        + "else the first in order; the report and this command say which and why."})
public final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "STUDY|RUN_DIR|RESULTS.json", description = "what to compare")
    List<Path> inputs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "writes DIR/report.html and DIR/report.md")
    Path out;

    @Override
    public Integer call() {
        return Cli.guard(() -> {
            Study study = Study.load(inputs);
            Report report = new Report(study);
            Path html = report.write(out);
            System.out.println("base: " + study.baseChoice().describe());
            report.averages().forEach((name, avg) -> System.out.printf(Locale.ROOT, "%-40s avg acc %.2f%n", name, 100 * avg));
            report.throughputs().forEach(t -> System.out.println(t.describe()));
            System.out.println("wrote " + html + " and " + html.resolveSibling("report.md"));
            return Cli.OK;
        });
    }
}
