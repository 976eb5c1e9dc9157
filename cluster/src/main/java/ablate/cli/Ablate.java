package ablate.cli;

import ablate.cluster.console.ConsoleCommand;
import ablate.cluster.demo.DemoCommand;
import ablate.cluster.console.LedgerCommand;
import ablate.cluster.console.LogsCommand;
import ablate.cluster.console.NodesCommand;
import ablate.cluster.console.RunActionCommand;
import ablate.cluster.console.RunsCommand;
import ablate.cluster.console.StatusCommand;
import ablate.cluster.console.ResultsCommand;
import ablate.cluster.console.StudyCommand;
import ablate.cluster.console.SubmitCommand;
import ablate.cluster.node.NodeCommand;
import ablate.evaluator.cli.EvalBenchCommand;
import ablate.evaluator.cli.EvalCommand;
import ablate.evaluator.cli.PlanCommand;
import ablate.evaluator.cli.ReportCommand;
import ablate.trainer.cli.BenchCommand;
import ablate.trainer.cli.CalibrateCommand;
import ablate.trainer.cli.DataCommand;
import ablate.trainer.cli.ExportHfCommand;
import ablate.trainer.cli.ImportHfCommand;
import ablate.trainer.cli.InspectCommand;
import ablate.trainer.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ablate} command line; the ./ablate launcher runs this. */
@Command(name = "ablate", mixinStandardHelpOptions = true, version = "ablate 0.1.0",
        description = "Which language model should we train with our compute budget? Train ablations, score them zero-shot, import and export Hugging Face checkpoints, inspect shapes, measure throughput and the machine's matmul peak, report studies, plan a run for a GPU budget, run nodes of a training cluster and drive it (submit, runs, status, logs, console, ...).",
        subcommands = {DemoCommand.class, ablate.cluster.dashboard.DashboardCommand.class, TrainCommand.class, EvalCommand.class, InspectCommand.class, BenchCommand.class, CalibrateCommand.class, EvalBenchCommand.class, DataCommand.class, ImportHfCommand.class,
            ExportHfCommand.class, ReportCommand.class, PlanCommand.class, NodeCommand.class, SubmitCommand.class, RunsCommand.class,
            StatusCommand.class, LogsCommand.class, RunActionCommand.Pause.class, RunActionCommand.Resume.class, RunActionCommand.Cancel.class,
            RunActionCommand.Checkpoint.class, NodesCommand.class, StudyCommand.class, ResultsCommand.class, ConsoleCommand.class, LedgerCommand.class, CommandLine.HelpCommand.class})
public final class Ablate implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line; its exit code. */
    public static int execute(String... args) {
        CommandLine line = new CommandLine(new Ablate());
        versionEverywhere(line, line.getCommandSpec().version());
        if (args.length > 0 && !args[0].startsWith("-") && !line.getSubcommands().containsKey(args[0])) {
            // picocli would print the top-level help and exit 0 for `ablate nod --help`
            String nearest = line.getSubcommands().keySet().stream()
                    .min(java.util.Comparator.comparingInt(c -> ablate.conf.Settings.distance(c, args[0]))).orElse("");
            System.err.println("error: unknown command '" + args[0] + "'" + (ablate.conf.Settings.distance(nearest, args[0]) <= 2 ? "; did you mean '"
                    + nearest + "'?" : "") + " (`ablate --help` lists the commands)");
            return 2;
        }
        return line.execute(args);
    }

    /** `ablate CMD --version` prints the version too, not nothing. */
    private static void versionEverywhere(CommandLine line, String[] version) {
        for (CommandLine sub : line.getSubcommands().values()) {
            sub.getCommandSpec().version(version);
            versionEverywhere(sub, version);
        }
    }

}
