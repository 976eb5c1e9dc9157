package ablate.cluster.node;

import ablate.conf.Settings;
import ablate.conf.SettingsException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * Everything a node needs to start, parsed once from its config (the {@code cluster} block of the
 * cluster module's reference.conf, overridden by the node's files and {@code --set}s) and its command
 * line. A typo under {@code cluster}, a wrong type or an impossible value fails with the key and
 * where it was set, as run settings do ({@link Settings}). Secrets are {@link Secret}s: this record's
 * {@code toString()} and every error leave them out.
 *
 * @param roles what this node does; never empty
 * @param host the name or address other nodes reach this one at (Artery's canonical host name)
 * @param port Artery's port; 0 = any free port
 * @param seeds seed nodes as "host:port"; empty = this node starts a cluster by joining itself
 * @param dataDir this node's own folder (absolute): the H2 journal by default, runs by default
 * @param journal where the coordinator's events go
 * @param storage the run storage every node shares (absolute)
 * @param api the HTTP API, served or not
 * @param snapshotEvery the coordinator snapshots its state every this many events
 * @param userConfig the node's config as given (files and --set), which may override Pekko's settings
 */
public record NodeSettings(Set<Role> roles, String host, int port, List<String> seeds, Path dataDir,
        JournalSettings journal, Path storage, ApiSettings api, TlsSettings tls, int snapshotEvery, Config userConfig) {
    /** The ActorSystem's name: every node's, since Pekko only joins systems of the same name. */
    public static final String SYSTEM_NAME = "ablate";

    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&;\"\\s]*");

    /** What the command line says about the node: {@code ablate node --role R --host H --port P --data-dir D}. */
    public record Launch(Set<Role> roles, String host, int port, Path dataDir) {
        public Launch {
            roles = Set.copyOf(roles);
        }
    }

    public NodeSettings {
        roles = Set.copyOf(roles);
        seeds = List.copyOf(seeds);
        if (roles.isEmpty()) {
            throw new SettingsException("--role", "", "a node needs at least one role: coordinator, trainer or evaluator");
        }
        if (host.isBlank()) {
            throw new SettingsException("--host", "", "the host name must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new SettingsException("--port", "", "must be within 0..65535 (0 = any free port), got " + port);
        }
        if (!dataDir.isAbsolute() || !storage.isAbsolute()) {
            throw new IllegalArgumentException("data dir and storage must be absolute: " + dataDir + ", " + storage);
        }
    }

    /** Validates and parses, reading secrets' environment variables from this process's environment. */
    public static NodeSettings load(Config user, Launch launch) {
        return load(user, launch, System.getenv());
    }

    /**
     * Validates {@code user} (files and overrides composed, e.g. by {@link Settings#compose}) against
     * the {@code cluster} reference and parses it; {@code env} stands in for the environment.
     */
    public static NodeSettings load(Config user, Launch launch, Map<String, String> env) {
        try {
            return parse(user, launch, env);
        } catch (SettingsException e) {
            throw redacted(e, secrets(user, env));
        }
    }

    private static NodeSettings parse(Config user, Launch launch, Map<String, String> env) {
        Config reference = reference();
        checkKnownKeys(user, reference);
        Config full = validate(user, reference);
        Path dataDir = launch.dataDir().toAbsolutePath().normalize();
        int snapshotEvery = intAt(full, "cluster.snapshot-every");
        if (snapshotEvery < 1) {
            throw new SettingsException("cluster.snapshot-every", Settings.originOf(full, "cluster.snapshot-every"),
                    "must be at least 1, got " + snapshotEvery);
        }
        String storage = stringAt(full, "cluster.storage");
        return new NodeSettings(launch.roles(), launch.host(), launch.port(), readSeeds(full), dataDir, readJournal(full, dataDir, env),
                storage.isEmpty() ? dataDir.resolve("runs") : Path.of(storage).toAbsolutePath().normalize(),
                readApi(full, launch.roles(), env), TlsSettings.read(full, dataDir, env), snapshotEvery, user);
    }

    /** The cluster module's reference.conf alone (not Pekko's, not the run settings'). */
    public static Config reference() {
        return Settings.ownResource(NodeSettings.class, "reference.conf");
    }

    public boolean hasRole(Role role) {
        return roles.contains(role);
    }

    /** The seed nodes as Pekko addresses, pekko://ablate@host:port. */
    public List<String> seedNodes() {
        return seeds.stream().map(s -> "pekko://" + SYSTEM_NAME + "@" + s).toList();
    }

    /**
     * The complete ActorSystem config of a node that owns its JVM: what this record says (host,
     * port, roles, seeds, journal connection), over the node's own config, over ablate-node.conf,
     * over Pekko's reference.conf files; system properties win over all. It holds the journal
     * password (Slick reads it from there): never log it.
     */
    public Config pekkoConfig() {
        return pekkoConfig(Map.of());
    }

    /**
     * The same for a node inside a JVM it does not own (tests, tools): its ActorSystem terminating
     * does not exit the JVM.
     */
    public Config inProcessPekkoConfig() {
        return pekkoConfig(Map.of("pekko.coordinated-shutdown.exit-jvm", "off"));
    }

    private Config pekkoConfig(Map<String, Object> extra) {
        Map<String, Object> fromCode = new LinkedHashMap<>(extra);
        fromCode.put("pekko.remote.artery.canonical.hostname", host);
        fromCode.put("pekko.remote.artery.canonical.port", port);
        fromCode.put("pekko.cluster.roles", roles.stream().map(Role::clusterName).sorted().toList());
        fromCode.put("pekko.cluster.seed-nodes", seedNodes());
        fromCode.putAll(tls.pekko());
        String db = "pekko-persistence-jdbc.shared-databases.ablate";
        fromCode.put(db + ".profile", journal.slickProfile());
        fromCode.put(db + ".db.url", journal.jdbcUrl());
        fromCode.put(db + ".db.user", journal.user());
        fromCode.put(db + ".db.password", journal.password().reveal());
        fromCode.put(db + ".db.driver", journal.driver());
        Config node = ConfigFactory.parseResources(NodeSettings.class, "/ablate-node.conf",
                ConfigParseOptions.defaults().setAllowMissing(false));
        return ConfigFactory.load(ConfigFactory.parseMap(fromCode, "ablate node settings")
                .withFallback(userConfig).withFallback(node));
    }

    /** Leaves the user config out: it may hold a password in plain text. */
    @Override
    public String toString() {
        return "NodeSettings[roles=" + roles + ", host=" + host + ", port=" + port + ", seeds=" + seeds + ", dataDir=" + dataDir
                + ", journal=" + journal + ", storage=" + storage + ", api=" + api + ", tls=" + tls + ", snapshotEvery=" + snapshotEvery + "]";
    }

    private static void checkKnownKeys(Config user, Config reference) {
        Set<String> roots = ConfigFactory.defaultReference().root().keySet();
        for (String root : user.root().keySet()) {
            if (!roots.contains(root)) {
                throw Settings.unknownKey(root, Settings.describe(user.root().get(root).origin()), roots);
            }
        }
        TreeSet<String> known = reference.entrySet().stream().map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        for (Map.Entry<String, ConfigValue> entry : user.entrySet()) {
            String key = entry.getKey();
            if (key.startsWith("cluster.") && !reference.hasPath(key)) {
                throw Settings.unknownKey(key, Settings.describe(entry.getValue().origin()), known);
            }
        }
    }

    private static Config validate(Config user, Config reference) {
        try {
            Config full = user.withFallback(reference).resolve();
            full.checkValid(reference, "cluster");
            return full;
        } catch (ConfigException.ValidationFailed e) {
            String problems = StreamSupport.stream(e.problems().spliterator(), false)
                    .map(p -> p.path() + " (" + Settings.describe(p.origin()) + "): " + p.problem())
                    .collect(Collectors.joining("\n  "));
            throw new SettingsException(e.problems().iterator().next().path(), "", "invalid settings:\n  " + problems);
        } catch (ConfigException e) {
            throw new SettingsException("config", Settings.describe(e.origin()), e.getMessage());
        }
    }

    static String stringAt(Config c, String key) {
        try {
            return c.getString(key);
        } catch (ConfigException e) {
            // Without the value: this may be a password.
            throw new SettingsException(key, Settings.originOf(c, key), "must be a string, got a " + c.getValue(key).valueType());
        }
    }

    private static int intAt(Config c, String key) {
        return at(c, key, "a whole number", Config::getInt);
    }

    static boolean flagAt(Config c, String key) {
        return at(c, key, "on or off", Config::getBoolean);
    }

    private static <T> T at(Config c, String key, String expected, BiFunction<Config, String, T> getter) {
        try {
            return getter.apply(c, key);
        } catch (ConfigException e) {
            throw new SettingsException(key, Settings.originOf(c, key), "must be " + expected + ", got " + c.getValue(key).render());
        }
    }

    /** The secrets the user config and the environment hold, whether or not they parsed. */
    private static List<String> secrets(Config user, Map<String, String> env) {
        Config reference = reference();
        List<String> secrets = new ArrayList<>();
        for (String[] keys : List.of(new String[] {"cluster.journal-postgres.password", "cluster.journal-postgres.password-env"},
                new String[] {"cluster.api.token", "cluster.api.token-env"},
                new String[] {"cluster.tls.key-store-password", "cluster.tls.key-store-password-env"},
                new String[] {"cluster.tls.trust-store-password", "cluster.tls.trust-store-password-env"})) {
            String direct = quietString(user, keys[0]);
            if (!direct.isEmpty()) {
                secrets.add(direct);
            }
            String envName = quietString(user.withFallback(reference), keys[1]);
            String fromEnv = env.getOrDefault(envName, "");
            if (!fromEnv.isEmpty()) {
                secrets.add(fromEnv);
            }
        }
        return secrets;
    }

    private static String quietString(Config c, String key) {
        try {
            return c.hasPath(key) ? c.getString(key) : "";
        } catch (ConfigException e) {
            return "";
        }
    }

    /**
     * The same error with every secret blanked: an origin like "--set ...password=X" or a URL with a
     * password parameter would otherwise print it.
     */
    private static SettingsException redacted(SettingsException e, List<String> secrets) {
        String origin = e.origin();
        String problem = e.problem();
        for (String secret : secrets) {
            origin = origin.replace(secret, "***");
            problem = problem.replace(secret, "***");
        }
        origin = PASSWORD_PARAMETER.matcher(origin).replaceAll("$1***");
        problem = PASSWORD_PARAMETER.matcher(problem).replaceAll("$1***");
        if (origin.equals(e.origin()) && problem.equals(e.problem())) {
            return e;
        }
        SettingsException clean = new SettingsException(e.key(), origin, problem);
        clean.setStackTrace(e.getStackTrace());
        return clean;
    }

    private static JournalSettings readJournal(Config c, Path dataDir, Map<String, String> env) {
        String kind = stringAt(c, "cluster.journal");
        switch (kind.toLowerCase(Locale.ROOT)) {
            case "h2" -> {
                String file = stringAt(c, "cluster.journal-h2.file");
                return new JournalSettings.H2(file.isEmpty() ? dataDir.resolve("journal").resolve("ablate")
                        : Path.of(file).toAbsolutePath().normalize());
            }
            case "postgres" -> {
                String url = stringAt(c, "cluster.journal-postgres.url");
                if (url.isEmpty() || !url.startsWith("jdbc:postgresql:")) {
                    throw new SettingsException("cluster.journal-postgres.url", Settings.originOf(c, "cluster.journal-postgres.url"),
                            "cluster.journal = postgres needs a JDBC URL starting with jdbc:postgresql:, e.g."
                                    + " jdbc:postgresql://db.example:5432/ablate");
                }
                String user = stringAt(c, "cluster.journal-postgres.user");
                if (user.isEmpty()) {
                    throw new SettingsException("cluster.journal-postgres.user", Settings.originOf(c, "cluster.journal-postgres.user"),
                            "cluster.journal = postgres needs the database user");
                }
                String password = stringAt(c, "cluster.journal-postgres.password");
                if (password.isEmpty()) {
                    password = env.getOrDefault(stringAt(c, "cluster.journal-postgres.password-env"), "");
                }
                return new JournalSettings.Postgres(url, user, Secret.of(password));
            }
            default -> throw new SettingsException("cluster.journal", Settings.originOf(c, "cluster.journal"),
                    "'" + kind + "' is not one of: h2 | postgres");
        }
    }

    private static List<String> readSeeds(Config c) {
        List<String> seeds = new ArrayList<>();
        for (String seed : at(c, "cluster.seeds", "a list of \"host:port\" strings", Config::getStringList)) {
            int colon = seed.lastIndexOf(':');
            int port = -1;
            if (colon > 0) {
                try {
                    port = Integer.parseInt(seed.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
            }
            if (port < 1 || port > 65535) {
                throw new SettingsException("cluster.seeds", Settings.originOf(c, "cluster.seeds"),
                        "'" + seed + "' is not host:port with a port within 1..65535");
            }
            seeds.add(seed);
        }
        return seeds;
    }

    private static ApiSettings readApi(Config c, Set<Role> roles, Map<String, String> env) {
        boolean serve = flagAt(c, "cluster.api.enabled") && roles.contains(Role.COORDINATOR);
        int httpPort = intAt(c, "cluster.api.http-port");
        if (httpPort < 0 || httpPort > 65535) {
            throw new SettingsException("cluster.api.http-port", Settings.originOf(c, "cluster.api.http-port"),
                    "must be within 0..65535 (0 = any free port), got " + httpPort);
        }
        String token = stringAt(c, "cluster.api.token");
        String tokenEnv = stringAt(c, "cluster.api.token-env");
        String origin = Settings.originOf(c, "cluster.api.token");
        if (token.isEmpty()) {
            token = env.getOrDefault(tokenEnv, "");
            origin = "environment variable " + tokenEnv;
        }
        if (serve && token.isEmpty()) {
            throw new SettingsException("cluster.api.token", "", "this node serves the HTTP API (cluster.api.enabled = on and"
                    + " role coordinator) but has no bearer token: export " + tokenEnv + "=$(openssl rand -hex 32) (the"
                    + " variable cluster.api.token-env names) or set cluster.api.token; or set cluster.api.enabled = off");
        }
        if (serve && token.length() < ApiSettings.MIN_TOKEN_LENGTH) {
            throw new SettingsException("cluster.api.token", origin, "the token is shorter than " + ApiSettings.MIN_TOKEN_LENGTH
                    + " characters; use e.g. $(openssl rand -hex 32)");
        }
        return new ApiSettings(serve, serve ? Secret.of(token) : Secret.empty(), httpPort);
    }
}
