package ablate.cluster.api;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import ablate.cluster.node.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requires {@code Authorization: Bearer TOKEN} (RFC 6750) on every request except those to a short
 * list of public paths: deny by default, so a route added later under /api/ or /metrics is protected
 * without anyone remembering to, and no spelling of a path (case, encoding, double slashes) slips
 * past a prefix check. A request without the right token gets 401, a JSON {@code {"error": ...}} and
 * {@code WWW-Authenticate: Bearer}. Tokens are compared in constant time (as SHA-256 digests, so
 * not even the length leaks) and never logged, neither the right one nor a wrong one.
 */
public final class BearerAuth {
    private static final Logger log = LoggerFactory.getLogger(BearerAuth.class);
    private static final Pattern BEARER = Pattern.compile("(?i)^\\s*Bearer\\s+(\\S+)\\s*$");

    private final byte[] expectedDigest;
    private final Set<String> publicPaths;

    private BearerAuth(Secret token, Set<String> publicPaths) {
        this.expectedDigest = sha256(token.reveal());
        this.publicPaths = Set.copyOf(publicPaths);
    }

    /** Every path needs the token. */
    public static BearerAuth create(Secret token) {
        return create(token, Set.of());
    }

    /** Every path but {@code publicPaths} (exact paths, e.g. "/health") needs the token; never list /api/... or /metrics. */
    public static BearerAuth create(Secret token, Set<String> publicPaths) {
        if (token.isEmpty()) {
            throw new IllegalArgumentException("an empty bearer token would let anyone in");
        }
        for (String path : publicPaths) {
            if (path.startsWith("/api") || path.startsWith("/metrics")) {
                throw new IllegalArgumentException(path + " must stay protected");
            }
        }
        return new BearerAuth(token, publicPaths);
    }

    /** {@code routes}, reachable only with the token (or on a public path). */
    public Route protect(Route routes) {
        return extractRequest(request -> {
            if (publicPaths.contains(request.getUri().path())) {
                return routes;
            }
            String refusal = refusal(request);
            if (refusal.isEmpty()) {
                return routes;
            }
            log.warn("refused {} {}: {}", request.method().value(), request.getUri().path(), refusal);
            return complete(unauthorized(refusal));
        });
    }

    /** Why the request may not pass; empty when it may. */
    private String refusal(HttpRequest request) {
        var header = request.getHeader("Authorization");
        if (header.isEmpty()) {
            return "missing bearer token";
        }
        Matcher m = BEARER.matcher(header.get().value());
        if (!m.matches()) {
            return "the Authorization header is not 'Bearer TOKEN'";
        }
        return MessageDigest.isEqual(sha256(m.group(1)), expectedDigest) ? "" : "wrong bearer token";
    }

    private static HttpResponse unauthorized(String reason) {
        return HttpResponse.create()
                .withStatus(StatusCodes.UNAUTHORIZED)
                .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "ablate")))
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, "{\"error\": \"" + reason + "\"}"));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
