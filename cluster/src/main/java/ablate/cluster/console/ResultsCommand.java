package ablate.cluster.console;

import ablate.cluster.api.ApiRoutes;
import ablate.trainer.cli.Cli;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ablate results STUDY}: the study's side-by-side comparison, as `ablate report` computes it. */
@Command(name = "results", mixinStandardHelpOptions = true,
        description = {"Compare a study's runs: average zero-shot accuracy ± stderr, each task, final validation loss, tokens/s, MFU, "
                + "the difference to the base and the paired-t verdict (what `ablate report` computes, read on the coordinator).",
                "--json gives every figure as numbers."})
public final class ResultsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "STUDY", description = "The study's name.")
    String study;

    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        if (!ApiRoutes.NAME.matcher(study).matches()) {
            throw ApiException.badInput("no study named '" + study + "'");
        }
        ApiClient.Reply reply = api.get("/api/studies/" + study + "/results");
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        out.print(reply.json().path("table").asText());
        return Cli.OK;
    }
}
