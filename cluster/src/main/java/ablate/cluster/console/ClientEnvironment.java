package ablate.cluster.console;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What the client commands take from the world around them: environment variables (the
 * coordinator's address and the token), the home folder (console history), the clock (ages in
 * tables), how often {@code logs -f} polls and how long one request may take. Tests pass their own.
 */
public record ClientEnvironment(Map<String, String> variables, Path home, Clock clock, Duration pollInterval, Duration requestTimeout) {
    public static final String COORDINATOR = "ABLATE_COORDINATOR";
    /** With an https:// coordinator: the trust store holding the cluster's CA (cluster.tls), and its password. */
    public static final String TRUST_STORE = "ABLATE_TLS_TRUST_STORE";
    public static final String TRUST_STORE_PASSWORD = "ABLATE_TLS_TRUST_STORE_PASSWORD";
    public static final String TOKEN = "ABLATE_TOKEN";
    public static final String TOKEN_FILE = "ABLATE_TOKEN_FILE";

    public ClientEnvironment {
        variables = Map.copyOf(variables);
        if (pollInterval.isNegative() || pollInterval.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("poll interval and request timeout must be positive");
        }
    }

    public static ClientEnvironment system() {
        return new ClientEnvironment(System.getenv(), Path.of(System.getProperty("user.home")), Clock.systemUTC(),
                Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    /** The variable's value, or "" when it is not set. */
    public String variable(String name) {
        return variables.getOrDefault(name, "");
    }

    /** This environment with one variable set (the console hands its --coordinator to every line this way). */
    public ClientEnvironment with(String name, String value) {
        Map<String, String> changed = new HashMap<>(variables);
        changed.put(name, value);
        return new ClientEnvironment(changed, home, clock, pollInterval, requestTimeout);
    }

    /** Names the variables but shows none of their values: one of them may be the token. */
    @Override
    public String toString() {
        return "ClientEnvironment[variables=" + variables.size() + ", home=" + home + ", clock=" + clock + ", pollInterval=" + pollInterval
                + ", requestTimeout=" + requestTimeout + "]";
    }
}
