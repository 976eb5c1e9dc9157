package ablate.cluster.console;

import ablate.cluster.api.Json;
import ablate.conf.Settings;
import ablate.trainer.cli.Cli;
import ablate.trainer.cli.ConfigOptions;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ablate submit}: sends a run's config to the coordinator, which validates it (the same errors
 * as `ablate train`, with file:line origins) and queues it. Config files are read here and sent as
 * text under the path as typed, so the nodes need not see this machine's files.
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
        description = {"Submit a run to the cluster (a preset and/or config files, overrides, a name, its data parallelism), or a study.",
                "The config is checked by the coordinator before the run is queued; prints the run (its name for later commands).",
                "With a STUDY file (conf/studies/*.conf) every run of the study is composed and checked here first (errors name the "
                        + "study file's line), then submitted as STUDY/RUN into one study folder; --set and --data-parallel apply to "
                        + "every run (a variant's own change wins)."})
public final class SubmitCommand extends ClientCommand {
    private static final Pattern DATA_PARALLEL = Pattern.compile("auto|[1-9][0-9]{0,5}");

    @Mixin
    ConfigOptions config = new ConfigOptions();

    @picocli.CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "STUDY", description = "A study file: a base run and its variants.")
    Path study;

    @Option(names = "--name", paramLabel = "NAME", description = "The run's name (default: the preset's or last file's name and the time).")
    String name = "";

    @Option(names = "--data-parallel", paramLabel = "N|auto",
            description = "Trainers the run trains on at once (sets cluster.data-parallel; auto = every free trainer the batch can use).")
    String dataParallel = "";

    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        if (study != null) {
            return submitStudy(api, out);
        }
        ApiClient.Reply reply = api.post("/api/runs", request().toString());
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        out.println("submitted " + reply.json().path("name").asText() + " (follow it with: ablate logs " + reply.json().path("name").asText() + " -f)");
        StatusCommand.print(reply.json(), out, env());
        return Cli.OK;
    }

    private int submitStudy(ApiClient api, PrintWriter out) throws ApiException {
        ablate.conf.StudyPlan plan = studyPlan();
        ObjectNode body = Json.MAPPER.createObjectNode().put("name", plan.name()).put("base", plan.base());
        body.putObject("source").put("name", study.toString()).put("text", read(study));
        ArrayNode runs = body.putArray("runs");
        plan.runs().forEach(r -> runs.addObject().put("name", r.name()).put("config", r.config().render()));
        ApiClient.Reply reply = api.post("/api/studies", body.toString());
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        out.println("submitted study " + plan.name() + ": " + plan.runs().size() + " runs, base " + plan.name() + "/" + plan.base()
                + " (follow it with: ablate study " + plan.name() + ")");
        for (ablate.conf.StudyPlan.Run r : plan.runs()) {
            out.println("  " + plan.name() + "/" + r.name() + (r.change().isEmpty() ? "" : "  " + r.change()));
        }
        return Cli.OK;
    }

    /** The study file expanded and validated here, where its files are; errors name the study file's line. */
    ablate.conf.StudyPlan studyPlan() throws ApiException {
        if (config.chosen()) {
            throw ApiException.badInput("a study file names its own base run; drop --preset/--config (use --set to change every run)");
        }
        if (!name.isEmpty()) {
            throw ApiException.badInput("a study is named by its file's name = ... (or the file name); drop --name");
        }
        java.util.List<String> overrides = new java.util.ArrayList<>(config.sources().overrides());
        if (!dataParallel.isEmpty()) {
            if (!DATA_PARALLEL.matcher(dataParallel).matches()) {
                throw ApiException.badInput("--data-parallel '" + dataParallel + "': give a number of trainers (1, 2, ...) or auto");
            }
            overrides.add("cluster.data-parallel=" + dataParallel);
        }
        String text = read(study);
        Path folder = study.toAbsolutePath().getParent();
        String defaultName = study.getFileName().toString().replaceFirst("\\.conf$", "");
        try {
            return ablate.conf.StudyPlan.parse(new Settings.Text(study.toString(), text), defaultName, file -> {
                try {
                    return new Settings.Text(file, read(folder.resolve(file)));
                } catch (ApiException e) {
                    throw new ablate.conf.SettingsException("configs", study.toString(), e.getMessage());
                }
            }, overrides);
        } catch (ablate.conf.SettingsException e) {
            throw ApiException.badInput(e.getMessage());
        }
    }

    /** The API's submit body: {"name", "preset", "files": [{"name", "text"}], "set": [...]}. */
    ObjectNode request() throws ApiException {
        Settings.Sources sources = config.sources();
        if (!config.chosen()) {
            throw ApiException.badInput("give --preset NAME or --config FILE for a run");
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (!name.isEmpty()) {
            body.put("name", name);
        }
        if (!sources.preset().isEmpty()) {
            body.put("preset", sources.preset());
        }
        ArrayNode files = body.putArray("files");
        for (Path file : sources.files()) {
            files.addObject().put("name", file.toString()).put("text", read(file));
        }
        ArrayNode set = body.putArray("set");
        sources.overrides().forEach(set::add);
        if (!dataParallel.isEmpty()) {
            if (!DATA_PARALLEL.matcher(dataParallel).matches()) {
                throw ApiException.badInput("--data-parallel '" + dataParallel + "': give a number of trainers (1, 2, ...) or auto");
            }
            set.add("cluster.data-parallel=" + dataParallel);
        }
        return body;
    }

    private static String read(Path file) throws ApiException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw ApiException.badInput("--config " + file + ": no such file");
        } catch (CharacterCodingException e) {
            throw ApiException.badInput("--config " + file + ": not UTF-8 text");
        } catch (IOException e) {
            throw ApiException.badInput("--config " + file + ": cannot read it (" + e.getMessage() + ")");
        }
    }
}
