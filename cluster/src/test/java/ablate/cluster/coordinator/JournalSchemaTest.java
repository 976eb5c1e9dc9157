package ablate.cluster.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class JournalSchemaTest {
    @Test
    void thePluginsDdlBecomesSingleStatementsThatCanRunAgain() {
        List<String> h2 = JournalSchema.statements("schema/h2/h2-create-schema.sql");
        List<String> postgres = JournalSchema.statements("schema/postgres/postgres-create-schema.sql");

        assertThat(h2).hasSize(8).allMatch(s -> s.contains("IF NOT EXISTS")).noneMatch(s -> s.contains(";"));
        assertThat(h2).contains("CREATE UNIQUE INDEX IF NOT EXISTS \"event_journal_ordering_idx\" on PUBLIC.\"event_journal\" (\"ordering\")");
        assertThat(postgres).hasSize(7).allMatch(s -> s.contains("IF NOT EXISTS"));
        assertThat(postgres).contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS state_tag_idx on public.durable_state (tag)");
        for (String table : JournalSchema.TABLES) {
            assertThat(postgres).anyMatch(s -> s.startsWith("CREATE TABLE IF NOT EXISTS public." + table));
        }
    }

    @Test
    void aMissingDdlResourceSaysWhichJarIsMissing() {
        assertThatThrownBy(() -> JournalSchema.statements("schema/none/none.sql"))
                .hasMessageContaining("schema/none/none.sql is not on the class path").hasMessageContaining("pekko-persistence-jdbc");
    }
}
