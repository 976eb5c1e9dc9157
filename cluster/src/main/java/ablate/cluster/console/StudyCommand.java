package ablate.cluster.console;

import ablate.cluster.api.ApiRoutes;
import ablate.trainer.cli.Cli;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ablate study STUDY}: each run of a study, its progress and its latest zero-shot average. */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = {"Show a study's runs: state, step, last loss, tokens/s, MFU and the latest zero-shot scores.",
                "`ablate results STUDY` compares them once they are evaluated."})
public final class StudyCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "STUDY", description = "The study's name (as `ablate submit STUDY_FILE` printed it).")
    String study;

    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        if (!ApiRoutes.NAME.matcher(study).matches()) {
            throw ApiException.badInput("no study named '" + study + "'");
        }
        ApiClient.Reply reply = api.get("/api/studies/" + study);
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        Table table = new Table("RUN", "STATE", "STEP/STEPS", "LOSS", "VAL", "TOK/S", "MFU", "EVAL");
        for (JsonNode r : reply.json()) {
            table.row(r.path("name").asText().substring(study.length() + 1), r.path("state").asText(), Figures.progress(r),
                    Figures.loss(r.path("loss")), Figures.loss(r.path("val_loss")), Figures.tokensPerSecond(r.path("tokens_per_s")),
                    Figures.mfu(r.path("mfu")), eval(r.path("eval")));
        }
        table.print(out);
        return Cli.OK;
    }

    /** "avg acc 41.2% at step 300 (2 tasks)", or "-" before the first evaluation. */
    static String eval(JsonNode eval) {
        if (!eval.path("avg_acc").isNumber()) {
            return Figures.UNKNOWN;
        }
        return String.format(Locale.ROOT, "avg acc %.1f%% at step %d (%d tasks)", 100 * eval.path("avg_acc").asDouble(),
                eval.path("step").asLong(), eval.path("tasks").size());
    }
}
