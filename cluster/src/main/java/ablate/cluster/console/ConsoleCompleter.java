package ablate.cluster.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Tab completion: command names first, then a command's options, and run names where a command takes
 * a RUN (and after `help`, command names). Run names come from /api/runs, fetched in the background
 * after every command so that a tab never waits on the network.
 */
final class ConsoleCompleter implements Completer {
    private final Map<String, CommandSpec> commands;
    private final ApiClient api;
    private volatile List<String> runNames = List.of();

    ConsoleCompleter(CommandLine commands, ApiClient api) {
        this.commands = commands.getSubcommands().entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> e.getValue().getCommandSpec()));
        this.api = api;
    }

    /** Fetches the run names again; keeps the old ones when the coordinator does not answer. */
    CompletableFuture<Void> refresh() {
        return api.getLater("/api/runs").thenAccept(runs -> {
            if (runs.isArray()) {
                List<String> names = new ArrayList<>();
                for (JsonNode r : runs) {
                    names.add(r.path("name").asText());
                }
                runNames = List.copyOf(names);
            }
        }).exceptionally(e -> null);
    }

    List<String> runNames() {
        return runNames;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        for (String word : candidates(line.words(), line.wordIndex())) {
            candidates.add(new Candidate(word));
        }
    }

    /** The words that may stand at {@code index} of {@code words} (sorted; JLine keeps those that match what is typed). */
    TreeSet<String> candidates(List<String> words, int index) {
        TreeSet<String> out = new TreeSet<>();
        if (index == 0) {
            out.addAll(commands.keySet());
            out.addAll(ConsoleCommands.BUILT_IN.keySet());
            return out;
        }
        String first = words.getFirst();
        if (first.equals("help")) {
            out.addAll(commands.keySet());
            return out;
        }
        CommandSpec spec = commands.get(first);
        if (spec == null) {
            return out;
        }
        String previous = words.get(index - 1);
        CommandLine.Model.OptionSpec option = spec.findOption(previous);
        if (option != null && option.arity().min() > 0) {
            return out; // the value of an option: a file, a number, a name
        }
        String current = index < words.size() ? words.get(index) : "";
        if (current.startsWith("-")) {
            spec.options().forEach(o -> out.addAll(List.of(o.names())));
        } else if (spec.positionalParameters().stream().anyMatch(p -> p.paramLabel().equals("RUN"))) {
            out.addAll(runNames);
        }
        return out;
    }
}
