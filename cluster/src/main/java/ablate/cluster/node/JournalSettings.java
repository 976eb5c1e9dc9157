package ablate.cluster.node;

import java.nio.file.Path;

/** Where the coordinator's events and snapshots live ({@code cluster.journal}). */
public sealed interface JournalSettings {
    /** The JDBC URL handed to the driver. */
    String jdbcUrl();

    /** The URL for messages and logs: any {@code password=} parameter blanked. */
    default String displayUrl() {
        return jdbcUrl().replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    String user();

    Secret password();

    /** The JDBC driver class Slick loads. */
    String driver();

    /** The Slick profile object pekko-persistence-jdbc uses for this database. */
    String slickProfile();

    /** pekko-persistence-jdbc's DDL for this database, a resource of its jar. */
    String schemaResource();

    /**
     * An embedded H2 database in a file of the coordinator's machine.
     *
     * @param file the database file without H2's ".mv.db" suffix, absolute
     */
    record H2(Path file) implements JournalSettings {
        public H2 {
            if (!file.isAbsolute()) {
                throw new IllegalArgumentException("the H2 journal file must be an absolute path (H2 refuses implicit relative ones): " + file);
            }
        }

        /**
         * DATABASE_TO_UPPER=false because pekko-persistence-jdbc's DDL and queries quote lower-case
         * names; DB_CLOSE_ON_EXIT=FALSE so that H2's own shutdown hook does not close the database
         * while Pekko's coordinated shutdown (another hook) still writes to it; WRITE_DELAY=0 so
         * that a commit reaches the file before the event's reply: with H2's default (500 ms) a JVM
         * halted right after 200 committed inserts came back with none of them (checked with
         * Runtime.halt on H2 2.5.252), which for the coordinator would mean acting on events that
         * its recovery then never sees. It costs about a third of the write rate.
         */
        @Override
        public String jdbcUrl() {
            return "jdbc:h2:file:" + file + ";DATABASE_TO_UPPER=false;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        }

        /** H2 makes whoever creates the file its administrator; every node uses the same name. */
        @Override
        public String user() {
            return "ablate";
        }

        /** The file's permissions protect it; a password would only have to be stored beside it. */
        @Override
        public Secret password() {
            return Secret.empty();
        }

        @Override
        public String driver() {
            return "org.h2.Driver";
        }

        @Override
        public String slickProfile() {
            return "slick.jdbc.H2Profile$";
        }

        @Override
        public String schemaResource() {
            return "schema/h2/h2-create-schema.sql";
        }
    }

    /** A PostgreSQL server every coordinator-role node reaches, so the singleton can move between machines. */
    record Postgres(String jdbcUrl, String user, Secret password) implements JournalSettings {
        @Override
        public String driver() {
            return "org.postgresql.Driver";
        }

        @Override
        public String slickProfile() {
            return "slick.jdbc.PostgresProfile$";
        }

        @Override
        public String schemaResource() {
            return "schema/postgres/postgres-create-schema.sql";
        }

        @Override
        public String toString() {
            return "Postgres[" + displayUrl() + ", user=" + user + ", password=" + password + "]";
        }
    }
}
