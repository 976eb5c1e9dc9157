package ablate.cluster.coordinator;

import ablate.cluster.node.JournalSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates pekko-persistence-jdbc 1.1.1's tables (event_journal, event_tag, snapshot, durable_state)
 * where they are missing, before a node's persistence starts. The plugin's own
 * {@code SchemaUtils.createIfNotExists} swallows every SQL error (logged at debug), so a wrong URL or
 * a missing permission would only show up as failing writes later; here it stops the node with the
 * URL (never the password) and the database's message.
 *
 * <p>The DDL is the plugin jar's own ({@code schema/h2/h2-create-schema.sql},
 * {@code schema/postgres/postgres-create-schema.sql}), made re-runnable: its index statements gain
 * IF NOT EXISTS. Each statement runs on its own in auto-commit, as PostgreSQL's
 * {@code CREATE INDEX CONCURRENTLY} cannot run inside a transaction.
 */
public final class JournalSchema {
    private static final Logger log = LoggerFactory.getLogger(JournalSchema.class);

    /** The tables the plugin reads and writes; all four exist after {@link #ensure}. */
    public static final List<String> TABLES = List.of("event_journal", "event_tag", "snapshot", "durable_state");

    private static final Pattern INDEX_WITHOUT_GUARD =
            Pattern.compile("(?i)^(CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+(?:CONCURRENTLY\\s+)?)(?!IF\\s+NOT\\s+EXISTS)");

    /** A connection attempt that hangs longer than this fails the start instead. */
    private static final int CONNECT_TIMEOUT_SECONDS = 10;

    private JournalSchema() {}

    /** Creates what is missing; fails with {@link JournalSchemaException} when the database cannot be reached or refuses. */
    public static void ensure(JournalSettings journal) {
        long start = System.nanoTime();
        List<String> statements = statements(journal.schemaResource());
        if (journal instanceof JournalSettings.H2 h2) {
            createParent(h2.file(), journal);
        }
        try (Connection connection = connect(journal); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(true);
            for (String sql : statements) {
                try {
                    statement.execute(sql);
                } catch (SQLException e) {
                    throw new JournalSchemaException("cannot create the journal schema at " + journal.displayUrl() + ": "
                            + firstLine(sql) + " failed: " + describe(e), e);
                }
            }
        } catch (SQLException e) {
            throw new JournalSchemaException("cannot reach the journal database at " + journal.displayUrl() + " as user '"
                    + journal.user() + "': " + describe(e), e);
        }
        log.info("journal schema ready at {} ({} statements, {} ms)", journal.displayUrl(), statements.size(),
                (System.nanoTime() - start) / 1_000_000);
    }

    /** The plugin's DDL for this database as single statements, each safe to run again. */
    static List<String> statements(String resource) {
        String ddl;
        try (InputStream in = JournalSchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new JournalSchemaException(resource + " is not on the class path: is pekko-persistence-jdbc_2.13 1.1.1 missing?");
            }
            ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JournalSchemaException("cannot read " + resource + ": " + e.getMessage(), e);
        }
        String withoutComments = ddl.lines().filter(l -> !l.strip().startsWith("--")).collect(Collectors.joining("\n"));
        return Arrays.stream(withoutComments.split(";"))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(s -> INDEX_WITHOUT_GUARD.matcher(s).replaceFirst("$1IF NOT EXISTS "))
                .toList();
    }

    private static Connection connect(JournalSettings journal) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", journal.user());
        properties.setProperty("password", journal.password().reveal());
        if (journal instanceof JournalSettings.Postgres) {
            properties.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
            properties.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        }
        return DriverManager.getConnection(journal.jdbcUrl(), properties);
    }

    private static void createParent(Path file, JournalSettings journal) {
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new JournalSchemaException("cannot create the folder of the H2 journal " + journal.displayUrl() + ": " + e, e);
        }
    }

    private static String describe(SQLException e) {
        return e.getMessage() + " (SQL state " + e.getSQLState() + ")";
    }

    private static String firstLine(String sql) {
        return sql.lines().findFirst().orElse(sql).strip();
    }

    /** The journal's database cannot be used; the message says which one and why. */
    public static final class JournalSchemaException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        JournalSchemaException(String message) {
            super(message);
        }

        JournalSchemaException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
