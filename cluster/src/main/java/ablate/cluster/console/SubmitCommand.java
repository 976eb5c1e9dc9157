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
        description = {"Submit a run to the cluster: a preset and/or config files, overrides, a name, its data parallelism.",
                "The config is checked by the coordinator before the run is queued; prints the run (its name for later commands)."})
public final class SubmitCommand extends ClientCommand {
    private static final Pattern DATA_PARALLEL = Pattern.compile("auto|[1-9][0-9]{0,5}");

    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--name", paramLabel = "NAME", description = "The run's name (default: the preset's or last file's name and the time).")
    String name = "";

    @Option(names = "--data-parallel", paramLabel = "N|auto",
            description = "Trainers the run trains on at once (sets cluster.data-parallel; auto = every free trainer the batch can use).")
    String dataParallel = "";

    @Override
    protected int execute(ApiClient api, PrintWriter out) throws ApiException {
        ApiClient.Reply reply = api.post("/api/runs", request().toString());
        if (json()) {
            out.println(reply.body());
            return Cli.OK;
        }
        out.println("submitted " + reply.json().path("name").asText() + " (follow it with: ablate logs " + reply.json().path("name").asText() + " -f)");
        StatusCommand.print(reply.json(), out, env());
        return Cli.OK;
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
