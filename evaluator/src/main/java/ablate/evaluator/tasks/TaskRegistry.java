package ablate.evaluator.tasks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tasks a run can name: the built-in definitions shipped on the class path under {@code
 * tasks/} (listed in {@code tasks/index.conf}, since a jar's directories cannot be listed), then
 * any extra directories ({@code *.conf}) or files, a later definition of a name replacing an
 * earlier one, so users can override a shipped task or add their own.
 */
public final class TaskRegistry {

    private static final String INDEX = "tasks/index.conf";
    private final Map<String, Task> tasks;
    private final Map<String, String> aliases;

    private TaskRegistry(Map<String, Task> tasks) {
        this.tasks = Map.copyOf(tasks);
        this.aliases = new LinkedHashMap<>();
        for (Task t : tasks.values()) for (String a : t.aliases()) this.aliases.putIfAbsent(a, t.name());
        for (Task t : tasks.values()) for (String a : t.harnessNames()) this.aliases.putIfAbsent(a, t.name());
        this.order = List.copyOf(tasks.keySet());
    }

    private final List<String> order;

    /** The built-in tasks only. */
    public static TaskRegistry builtIn() {
        return load(List.of());
    }

    /** Built-in tasks plus every {@code *.conf} in each directory and each named file, in order. */
    public static TaskRegistry load(List<Path> extra) {
        Map<String, Task> tasks = new LinkedHashMap<>();
        ClassLoader cl = TaskRegistry.class.getClassLoader();
        Config index = ConfigFactory.parseResources(cl, INDEX, ConfigParseOptions.defaults().setAllowMissing(false));
        for (String name : index.getStringList("tasks")) {
            String resource = "tasks/" + name + ".conf";
            Config c = ConfigFactory.parseResources(cl, resource, ConfigParseOptions.defaults().setAllowMissing(false));
            add(tasks, TaskLoader.load(c, resource));
        }
        for (Path p : extra) {
            for (Path f : files(p)) {
                Config c;
                try {
                    c = ConfigFactory.parseFile(f.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
                } catch (ConfigException e) {
                    throw new TaskDefinitionException(syntaxError(f, e), e);
                }
                add(tasks, TaskLoader.load(c, f.toString()));
            }
        }
        return new TaskRegistry(tasks);
    }

    /** "FILE:LINE: problem", without the origin Typesafe Config repeats at the start of its message. */
    private static String syntaxError(Path file, ConfigException e) {
        String message = e.getMessage();
        if (e.origin() == null) {
            return file + ": " + message;
        }
        String prefix = e.origin().description() + ": ";
        String problem = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        return file + (e.origin().lineNumber() > 0 ? ":" + e.origin().lineNumber() : "") + ": " + problem;
    }

    private static List<Path> files(Path p) {
        if (Files.isRegularFile(p)) return List.of(p);
        if (!Files.isDirectory(p)) throw new TaskDefinitionException(p + ": no such task file or directory");
        try (Stream<Path> s = Files.list(p)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".conf") && !f.getFileName().toString().equals("index.conf")).sorted().toList();
        } catch (IOException e) {
            throw new TaskDefinitionException(p + ": cannot list: " + e.getMessage());
        }
    }

    private static void add(Map<String, Task> tasks, Task t) {
        tasks.remove(t.name());
        tasks.put(t.name(), t);
    }

    /** Every task, built-ins in index order then extras. */
    public List<Task> all() {
        return order.stream().map(tasks::get).toList();
    }

    /**
     * The tasks named by {@code spec}: "all", or names and aliases separated by commas. Unknown
     * names fail together, each with the closest known name.
     */
    public List<Task> resolve(String spec) {
        if (spec.strip().equals("all")) return all();
        LinkedHashSet<Task> out = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        List<String> known = new ArrayList<>(order);
        known.addAll(aliases.keySet());
        for (String raw : spec.split(",")) {
            String name = raw.strip();
            if (name.isEmpty()) continue;
            Task t = tasks.get(aliases.getOrDefault(name, name));
            if (t == null) unknown.add("'" + name + "'" + DidYouMean.suggest(name, known));
            else out.add(t.harnessNames().contains(name) ? t.named(name) : t); // lambada (v0.2) or lambada_openai (v0.3), as asked
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("unknown task " + String.join(", ", unknown) + " (known: " + String.join(", ", order) + ")");
        if (out.isEmpty()) throw new IllegalArgumentException("no task named in '" + spec + "'");
        return List.copyOf(out);
    }
}
