package ablate.cluster.api;

import ablate.cluster.node.ApiSettings;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP API: binds {@code routes}, behind {@link BearerAuth}, on the configured port (0 =
 * any free one) and unbinds when the ActorSystem shuts down (coordinated shutdown, so requests in
 * flight get up to 5 s to finish).
 */
public final class ApiServer {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final Duration DRAIN = Duration.ofSeconds(5);

    private final ServerBinding binding;

    private ApiServer(ServerBinding binding) {
        this.binding = binding;
    }

    /**
     * Binds on {@code host} (the node's host) and {@code api.httpPort()}; every path needs
     * {@code api.token()}. Completes with the server once it listens, or fails (port taken, ...).
     */
    public static CompletionStage<ApiServer> start(ActorSystem<?> system, String host, ApiSettings api, Route routes) {
        return start(system, host, api, java.util.Optional.empty(), routes);
    }

    /** The same over HTTPS when {@code tls} is given (cluster.tls). */
    public static CompletionStage<ApiServer> start(ActorSystem<?> system, String host, ApiSettings api,
            java.util.Optional<javax.net.ssl.SSLContext> tls, Route routes) {
        if (!api.serve()) {
            throw new IllegalArgumentException("this node does not serve the HTTP API (cluster.api.enabled = off or not a coordinator)");
        }
        Route protectedRoutes = BearerAuth.create(api.token(), ablate.cluster.dashboard.DashboardRoutes.publicPaths()).protect(routes);
        var server = Http.get(system).newServerAt(host, api.httpPort());
        if (tls.isPresent()) {
            server = server.enableHttps(org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(tls.get()));
        }
        return server.bind(protectedRoutes).thenApply(binding -> {
            binding.addToCoordinatedShutdown(DRAIN, system);
            log.info("HTTP API at {}://{}:{}/ (bearer token required)", tls.isPresent() ? "https" : "http", host,
                    binding.localAddress().getPort());
            return new ApiServer(binding);
        });
    }

    /** The bound port: the configured one, or the one the OS picked for port 0. */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** Stops accepting connections; those open finish within 5 s. */
    public CompletionStage<Done> stop() {
        return binding.terminate(DRAIN).thenApply(terminated -> Done.getInstance());
    }
}
