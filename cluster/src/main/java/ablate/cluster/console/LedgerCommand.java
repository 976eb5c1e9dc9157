package ablate.cluster.console;

import ablate.trainer.cli.Cli;
import ablate.trainer.run.SampleLedger;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ablate ledger RUN|RUN_DIR}: proves from a run's ledger.jsonl that every sample index was
 * consumed exactly once, in order, across all its resumes, regroups and failures. A folder (or the
 * ledger file itself) is read directly; a run name is looked up on the coordinator for its folder.
 */
@Command(name = "ledger", mixinStandardHelpOptions = true,
        description = {"Check a run's sample ledger: every sample consumed exactly once, in order, across restarts.",
                "Exit 0 when clean, 1 with the first violation otherwise."})
public final class LedgerCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN|RUN_DIR", description = "A run folder (or its ledger.jsonl), or a run's name on the coordinator.")
    String run;

    @Mixin
    ClientOptions options = new ClientOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Path ledger = ledgerOf(run);
            if (!Files.isRegularFile(ledger)) {
                err.println("error: " + ledger + " does not exist: the run has not trained a step yet, or predates ledgers");
                return Cli.BAD_INPUT;
            }
            SampleLedger.Verdict v = SampleLedger.check(ledger);
            String summary = v.steps() + " steps, samples [0, " + v.samples() + ") each consumed once in order; " + v.restarts()
                    + " restarts (" + v.undoneSteps() + " steps undone and done again), " + v.regroups() + " regroups";
            if (options.json()) {
                out.println(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("ledger", ledger.toString())
                        .put("clean", v.clean()).put("steps", v.steps()).put("samples", v.samples()).put("restarts", v.restarts())
                        .put("undone_steps", v.undoneSteps()).put("regroups", v.regroups()).put("problem", v.problem()));
            } else if (v.clean()) {
                out.println("clean: " + summary);
            } else {
                out.println("NOT clean: " + v.problem());
            }
            return v.clean() ? Cli.OK : Cli.FAILED;
        } catch (ApiException e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return Cli.FAILED;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private Path ledgerOf(String argument) throws ApiException {
        Path path = Path.of(argument);
        if (Files.isRegularFile(path)) {
            return path;
        }
        if (Files.isDirectory(path)) {
            return path.resolve(SampleLedger.FILE);
        }
        try (ApiClient api = options.client(ClientEnvironment.system())) {
            return Path.of(api.getRun(argument, "").json().path("run_dir").asText()).resolve(SampleLedger.FILE);
        }
    }
}
