package ablate.evaluator.tasks;

import ablate.evaluator.scoring.Aggregation;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses one task file into a {@link Task}, validating as it goes: every error names the file,
 * line and key, and unknown keys, kinds, formats, filters and aggregations get a did-you-mean.
 */
final class TaskLoader {

    private static final Set<String> COMMON = Set.of("name", "aliases", "harness-names", "version", "harness", "split", "few-shot", "kind", "metrics", "sources");
    private static final Map<String, Set<String>> KIND_KEYS = Map.of(
            "multiple-choice", Set.of("text", "choices", "gold", "choice-prefix", "group", "stderr-group"),
            "cloze", Set.of("text", "target"),
            "partial-evaluation", Set.of("options", "gold", "context", "target"),
            "alias-greedy", Set.of("text", "target", "answers", "answer-prefix", "until", "max-tokens"),
            "rolling", Set.of("text", "count"));
    private static final Set<String> SOURCE_KEYS = Set.of("format", "files", "harness-exact", "note", "fields", "group-by");
    private static final Set<String> METRIC_KEYS = Set.of("name", "aggregation", "higher-is-better");

    private final Config c;
    private final String where;

    private TaskLoader(Config c, String where) {
        this.c = c;
        this.where = where;
    }

    /** Builds the task defined by {@code config}, read from {@code where} (a file or resource name). */
    static Task load(Config config, String where) {
        return new TaskLoader(config.resolve(), where).task();
    }

    private Task task() {
        String kindName = string(c, "kind");
        Set<String> kindKeys = KIND_KEYS.get(kindName);
        if (kindKeys == null) throw error(c, "kind", "unknown kind '" + kindName + "'" + DidYouMean.suggest(kindName, KIND_KEYS.keySet()) + " (known: " + KIND_KEYS.keySet() + ")");
        Set<String> allowed = new java.util.HashSet<>(COMMON);
        allowed.addAll(kindKeys);
        checkKeys(c.root(), allowed, "");
        List<Task.Metric> metrics = new ArrayList<>();
        for (Config m : objects(c, "metrics")) metrics.add(metric(m));
        List<Source> sources = new ArrayList<>();
        for (Config s : objects(c, "sources")) sources.add(source(s));
        Task.Definition def;
        try {
            def = new Task.Definition(string(c, "name"), c.hasPath("aliases") ? strings(c, "aliases") : List.of(),
                    c.hasPath("harness-names") ? strings(c, "harness-names") : List.of(), integer(c, "version"),
                    string(c, "harness"), string(c, "split"), c.hasPath("few-shot") ? integer(c, "few-shot") : 0, metrics, sources, where);
        } catch (IllegalArgumentException e) {
            throw new TaskDefinitionException(where + ": " + e.getMessage());
        }
        Kind kind = switch (kindName) {
            case "multiple-choice" -> new MultipleChoice(template("text"), templateOrList("choices"), template("gold"),
                    optString("choice-prefix", " "), optTemplate("group"), optTemplate("stderr-group"));
            case "cloze" -> new Cloze(template("text"), template("target"));
            case "partial-evaluation" -> new PartialEvaluation(templateOrList("options"), template("gold"), template("context"), template("target"));
            case "alias-greedy" -> new AliasGreedy(template("text"), template("target"), templateOrList("answers"), optString("answer-prefix", " "),
                    c.hasPath("until") ? strings(c, "until") : List.of("\n", ".", ","), c.hasPath("max-tokens") ? integer(c, "max-tokens") : 32);
            case "rolling" -> new Rolling(template("text"), template("count"));
            default -> throw new IllegalStateException(kindName);
        };
        try {
            Task task = new Task(def, kind);
            for (Task.Metric m : metrics) {
                if ((m.aggregation() == Aggregation.ACC_ALL || m.aggregation() == Aggregation.GROUP_ALL) && !c.hasPath("group")) {
                    throw error(c, "metrics", "metric " + m.name() + " aggregates by group: set 'group' (and 'stderr-group') templates");
                }
            }
            return task;
        } catch (IllegalArgumentException e) {
            throw error(c, "metrics", e.getMessage());
        }
    }

    private Task.Metric metric(Config m) {
        checkKeys(m.root(), METRIC_KEYS, "metrics.");
        String name = string(m, "name");
        Aggregation agg;
        if (m.hasPath("aggregation")) {
            String a = string(m, "aggregation");
            agg = null;
            List<String> names = new ArrayList<>();
            for (Aggregation x : Aggregation.values()) {
                names.add(x.harnessName());
                if (x.harnessName().equals(a)) agg = x;
            }
            if (agg == null) throw error(m, "aggregation", "unknown aggregation '" + a + "'" + DidYouMean.suggest(a, names) + " (known: " + names + ")");
        } else {
            agg = switch (name) {
                case "acc", "acc_norm", "exact_match" -> Aggregation.MEAN;
                case "f1" -> Aggregation.F1;
                case "mcc" -> Aggregation.MCC;
                case "em" -> Aggregation.GROUP_ALL;
                case "ppl" -> Aggregation.PERPLEXITY;
                case "word_perplexity", "byte_perplexity" -> Aggregation.WEIGHTED_PERPLEXITY;
                case "bits_per_byte" -> Aggregation.BITS_PER_BYTE;
                default -> throw error(m, "name", "metric '" + name + "' needs an explicit aggregation");
            };
        }
        boolean lowerBetter = agg == Aggregation.PERPLEXITY || agg == Aggregation.WEIGHTED_PERPLEXITY || agg == Aggregation.BITS_PER_BYTE;
        boolean higher = m.hasPath("higher-is-better") ? bool(m, "higher-is-better") : !lowerBetter;
        return new Task.Metric(name, agg, higher);
    }

    private Source source(Config s) {
        checkKeys(s.root(), SOURCE_KEYS, "sources.");
        Source.Format format;
        try {
            format = Source.Format.byName(string(s, "format"));
        } catch (IllegalArgumentException e) {
            throw error(s, "format", e.getMessage());
        }
        Map<String, Template> fields = new LinkedHashMap<>();
        if (s.hasPath("fields")) {
            for (var e : s.getConfig("fields").entrySet()) {
                String key = e.getKey().replace("\"", "");
                fields.put(key, listOrTemplate(e.getValue(), "sources.fields." + key));
            }
        }
        Source.Grouping grouping = new Source.Grouping.None();
        if (s.hasPath("group-by")) {
            Config g = s.getConfig("group-by");
            checkKeys(g.root(), Set.of("key", "into", "keep"), "sources.group-by.");
            grouping = new Source.Grouping.ByField(string(g, "key"), string(g, "into"), strings(g, "keep"));
        }
        boolean exact = !s.hasPath("harness-exact") || bool(s, "harness-exact");
        String note = s.hasPath("note") ? string(s, "note") : "";
        if (!exact && note.isBlank()) throw error(s, "note", "a source that is not harness-exact must say why in 'note'");
        try {
            return new Source(format, strings(s, "files"), fields, grouping, exact, note);
        } catch (IllegalArgumentException e) {
            throw error(s, "files", e.getMessage());
        }
    }

    private Template template(String key) {
        if (!c.hasPath(key)) throw error(c, key, "missing key '" + key + "'");
        return parse(c.getValue(key), key);
    }

    private Template optTemplate(String key) {
        return c.hasPath(key) ? template(key) : Template.parse("");
    }

    private Template templateOrList(String key) {
        if (!c.hasPath(key)) throw error(c, key, "missing key '" + key + "'");
        return listOrTemplate(c.getValue(key), key);
    }

    private Template listOrTemplate(ConfigValue v, String key) {
        if (v instanceof ConfigList list) {
            List<Template> ts = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) ts.add(parse(list.get(i), key + "[" + i + "]"));
            return Template.ofList(ts);
        }
        return parse(v, key);
    }

    private Template parse(ConfigValue v, String key) {
        if (v instanceof ConfigObject obj) {
            checkKeys(obj, Set.of("template", "apply"), key + ".");
            Config o = obj.toConfig();
            Template t = parse(o.getValue("template"), key + ".template");
            try {
                return o.hasPath("apply") ? t.then(o.getString("apply")) : t;
            } catch (IllegalArgumentException e) {
                throw new TaskDefinitionException(at(o.getValue("apply").origin()) + ": " + key + ".apply: " + e.getMessage());
            }
        }
        if (v.valueType() != ConfigValueType.STRING) throw new TaskDefinitionException(at(v.origin()) + ": " + key + ": expected a template string, got " + v.valueType());
        try {
            return Template.parse((String) v.unwrapped());
        } catch (IllegalArgumentException e) {
            throw new TaskDefinitionException(at(v.origin()) + ": " + key + ": " + e.getMessage());
        }
    }

    private String optString(String key, String fallback) {
        return c.hasPath(key) ? string(c, key) : fallback;
    }

    private void checkKeys(ConfigObject obj, Set<String> allowed, String prefix) {
        for (String key : obj.keySet()) {
            if (!allowed.contains(key)) {
                throw new TaskDefinitionException(at(obj.get(key).origin()) + ": unknown key '" + prefix + key + "'" + DidYouMean.suggest(key, allowed) + " (allowed here: " + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    private List<Config> objects(Config cfg, String key) {
        try {
            List<? extends Config> list = cfg.getConfigList(key);
            if (list.isEmpty()) throw error(cfg, key, "'" + key + "' must not be empty");
            return new ArrayList<>(list);
        } catch (ConfigException e) {
            throw wrap(e);
        }
    }

    private String string(Config cfg, String key) {
        try {
            return cfg.getString(key);
        } catch (ConfigException e) {
            throw wrap(e);
        }
    }

    private List<String> strings(Config cfg, String key) {
        try {
            return cfg.getStringList(key);
        } catch (ConfigException e) {
            throw wrap(e);
        }
    }

    private int integer(Config cfg, String key) {
        try {
            return cfg.getInt(key);
        } catch (ConfigException e) {
            throw wrap(e);
        }
    }

    private boolean bool(Config cfg, String key) {
        try {
            return cfg.getBoolean(key);
        } catch (ConfigException e) {
            throw wrap(e);
        }
    }

    private TaskDefinitionException wrap(ConfigException e) {
        String origin = e.origin() == null ? where : at(e.origin());
        String msg = e.getMessage();
        String prefix = e.origin() == null ? "" : e.origin().description() + ": ";
        return new TaskDefinitionException(origin + ": " + (msg.startsWith(prefix) ? msg.substring(prefix.length()) : msg), e);
    }

    private TaskDefinitionException error(Config cfg, String key, String problem) {
        ConfigOrigin o = cfg.hasPath(key) ? cfg.getValue(key).origin() : cfg.origin();
        return new TaskDefinitionException(at(o) + ": " + key + ": " + problem);
    }

    private String at(ConfigOrigin o) {
        String file = o.filename() != null ? o.filename() : o.resource() != null ? o.resource() : where;
        return o.lineNumber() > 0 ? file + ":" + o.lineNumber() : file;
    }
}
