package ablate.cluster.coordinator;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ablate.cluster.TestNodes;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import ablate.cluster.node.Node;
import ablate.cluster.node.NodeSettings;
import ablate.cluster.node.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The journal on a real PostgreSQL server, the one a multi-machine cluster uses. Needs a server:
 * {@code eval "$(bash ops/ci/postgres.sh start)"} starts a private one and exports
 * ABLATE_TEST_POSTGRES_URL, _USER and _PASSWORD (.ci/run does this); without them every test here
 * is skipped with that instruction, on the report and on stderr.
 */
class PostgresJournalTest extends JournalRecoveryContract {
    private static final String URL = System.getenv().getOrDefault("ABLATE_TEST_POSTGRES_URL", "");
    private static final String HOW = "SKIPPED LOUDLY: no PostgreSQL for the journal test: ABLATE_TEST_POSTGRES_URL is not set. Run"
            + " eval \"$(bash ops/ci/postgres.sh start)\" first (it installs Debian's postgresql if missing, starts a private"
            + " server and exports ABLATE_TEST_POSTGRES_URL/_USER/_PASSWORD), or use .ci/run";

    private static boolean announced;

    @BeforeEach
    void requireServer() {
        if (URL.isEmpty() && !announced) {
            announced = true;
            // The process's own stderr, not System.err, which surefire redirects into the report file. Not closed: it is fd 2.
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8)
                    .println(getClass().getSimpleName() + " " + HOW);
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

    @Test
    void aWrongPasswordStopsTheNodeNamingUrlAndUserButNotThePassword() {
        String wrong = "not-the-password-" + System.nanoTime();
        NodeSettings settings = TestNodes.settings(dataDir, Set.of(Role.COORDINATOR), List.of(), Map.of("ABLATE_JOURNAL_PASSWORD", wrong),
                "cluster.api.enabled=off", "cluster.journal=postgres", "cluster.journal-postgres.url=\"" + URL + "\"",
                "cluster.journal-postgres.user=" + System.getenv().getOrDefault("ABLATE_TEST_POSTGRES_USER", "ablate"));

        assertThatThrownBy(() -> Node.startInProcess(settings, Behaviors.empty()))
                .isInstanceOf(JournalSchema.JournalSchemaException.class)
                .hasMessageContaining(URL)
                .hasMessageContaining("password authentication failed")
                .message().doesNotContain(wrong);
    }

    @Override
    int eventsWithoutSnapshots() {
        return 300;
    }
}
