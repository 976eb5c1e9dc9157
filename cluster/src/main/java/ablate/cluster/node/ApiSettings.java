package ablate.cluster.node;

/**
 * The HTTP API of a node ({@code cluster.api}).
 *
 * @param serve whether this node serves it: {@code cluster.api.enabled} and the coordinator role
 * @param token the bearer token every request under /api/ and /metrics must carry; empty only when not served
 * @param httpPort the port to bind; 0 = any free port
 */
public record ApiSettings(boolean serve, Secret token, int httpPort) {
    /** Shorter tokens can be guessed; 16 random characters is the floor, 32 hex from openssl is better. */
    public static final int MIN_TOKEN_LENGTH = 16;

    public ApiSettings {
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("HTTP port must be within 0..65535, got " + httpPort);
        }
        if (serve && token.reveal().length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("the API token must have at least " + MIN_TOKEN_LENGTH + " characters");
        }
    }
}
