package ablate.cluster.console;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options every client command takes: where the coordinator is, the token file, --json. */
public final class ClientOptions {
    @Option(names = "--coordinator", paramLabel = "HOST:PORT",
            description = "The coordinator's HTTP API, as `ablate node` prints it (default: $ABLATE_COORDINATOR).")
    String coordinator = "";

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "A file holding the API token (default: $ABLATE_TOKEN_FILE, else the token in $ABLATE_TOKEN). The token itself is never an argument.")
    Path tokenFile;

    @Option(names = "--json", description = "Print the API's JSON as it comes, and nothing else, on stdout.")
    boolean json;

    public boolean json() {
        return json;
    }

    /** A client for the coordinator these options (or, failing them, the environment) name. */
    public ApiClient client(ClientEnvironment env) throws ApiException {
        CoordinatorAddress address;
        try {
            if (!coordinator.isBlank()) {
                address = CoordinatorAddress.parse(coordinator, "--coordinator");
            } else if (!env.variable(ClientEnvironment.COORDINATOR).isBlank()) {
                address = CoordinatorAddress.parse(env.variable(ClientEnvironment.COORDINATOR), ClientEnvironment.COORDINATOR);
            } else {
                throw ApiException.badInput("no coordinator: give --coordinator HOST:PORT or set " + ClientEnvironment.COORDINATOR
                        + " (a coordinator node prints its 'api: http[s]://HOST:PORT' at start)");
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badInput(e.getMessage());
        }
        Optional<Path> file = tokenFile != null ? Optional.of(tokenFile)
                : env.variable(ClientEnvironment.TOKEN_FILE).isBlank() ? Optional.empty() : Optional.of(Path.of(env.variable(ClientEnvironment.TOKEN_FILE)));
        java.util.Optional<javax.net.ssl.SSLContext> tls = java.util.Optional.empty();
        String trustStore = env.variable(ClientEnvironment.TRUST_STORE);
        if (address.https() && !trustStore.isBlank()) {
            try {
                tls = java.util.Optional.of(ablate.cluster.node.TlsSettings.trusting(Path.of(trustStore),
                        ablate.cluster.node.Secret.of(env.variable(ClientEnvironment.TRUST_STORE_PASSWORD)), ClientEnvironment.TRUST_STORE));
            } catch (ablate.conf.SettingsException e) {
                throw ApiException.badInput(e.getMessage());
            }
        }
        return new ApiClient(address, ApiToken.find(file, env), env.requestTimeout(), tls);
    }
}
