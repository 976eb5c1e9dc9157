package ablate.cluster.coordinator;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ablate.cluster.TestNodes;
import ablate.cluster.node.NodeSettings;
import ablate.cluster.node.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;

/**
 * The journal on a real PostgreSQL server, the one a multi-machine cluster uses. Needs a server:
 * {@code eval "$(bash ops/ci/postgres.sh start)"} starts a private one and exports
 * ABLATE_TEST_POSTGRES_URL, _USER and _PASSWORD (.ci/run does this); without them every test here
 * is skipped with that instruction, on the report and on stderr.
 */
class PostgresJournalTest extends JournalRecoveryContract {
    private static final String URL = System.getenv().getOrDefault("ABLATE_TEST_POSTGRES_URL", "");
    private static final String HOW = "no PostgreSQL for the journal test: ABLATE_TEST_POSTGRES_URL is not set. Run"
            + " eval \"$(bash ops/ci/postgres.sh start)\" first (it installs Debian's postgresql if missing, starts a private"
            + " server and exports ABLATE_TEST_POSTGRES_URL/_USER/_PASSWORD), or use .ci/run";

    @BeforeEach
    void requireServer() {
        if (URL.isEmpty()) {
            System.err.println("SKIPPED " + getClass().getSimpleName() + ": " + HOW);
        }
        assumeTrue(!URL.isEmpty(), HOW);
    }

    @Override
    NodeSettings coordinator(Path dataDir) {
        // The password goes the production way: through the environment variable cluster.journal-postgres.password-env names.
        Map<String, String> env = Map.of("ABLATE_JOURNAL_PASSWORD", System.getenv().getOrDefault("ABLATE_TEST_POSTGRES_PASSWORD", ""));
        return TestNodes.settings(dataDir, Set.of(Role.COORDINATOR), List.of(), env, "cluster.api.enabled=off", "cluster.journal=postgres",
                "cluster.journal-postgres.url=\"" + URL + "\"",
                "cluster.journal-postgres.user=" + System.getenv().getOrDefault("ABLATE_TEST_POSTGRES_USER", "ablate"));
    }

    @Override
    int eventsWithoutSnapshots() {
        return 300;
    }
}
