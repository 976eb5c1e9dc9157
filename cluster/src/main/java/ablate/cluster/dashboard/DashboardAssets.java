package ablate.cluster.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.MediaTypes;

/**
 * The dashboard's files, packed in the jar at build time (src/main/resources/ablate/dashboard): the
 * page, its script and style, and uPlot (vendor/, with its licence), so the dashboard works on a
 * cluster with no way out. Served by exact path only, so no path can reach another resource. They
 * hold no data and no secret, and load without the token; every /api/ call they make needs it.
 */
final class DashboardAssets {
    private static final String ROOT = "/ablate/dashboard/";
    private static final ContentType JS = MediaTypes.APPLICATION_JAVASCRIPT.toContentType(HttpCharsets.UTF_8);
    private static final ContentType CSS = MediaTypes.TEXT_CSS.toContentType(HttpCharsets.UTF_8);

    /** URL path to resource name and type. */
    private static final Map<String, Asset> ASSETS = assets();

    /** What the page may load and from where: only this server, no inline script, no frame around it. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    record Asset(String resource, ContentType type, byte[] bytes) {}

    private DashboardAssets() {}

    /** The paths that load without the bearer token: the page and its files. */
    static Set<String> publicPaths() {
        return ASSETS.keySet();
    }

    static Optional<Asset> at(String path) {
        return Optional.ofNullable(ASSETS.get(path));
    }

    private static Map<String, Asset> assets() {
        Map<String, Asset> out = new LinkedHashMap<>();
        out.put("/", load("index.html", ContentTypes.TEXT_HTML_UTF8));
        out.put("/ui/app.js", load("app.js", JS));
        out.put("/ui/charts.js", load("charts.js", JS));
        out.put("/ui/app.css", load("app.css", CSS));
        out.put("/ui/vendor/uPlot-1.6.32.iife.min.js", load("vendor/uPlot-1.6.32.iife.min.js", JS));
        out.put("/ui/vendor/uPlot-1.6.32.min.css", load("vendor/uPlot-1.6.32.min.css", CSS));
        out.put("/ui/vendor/uPlot-LICENSE.txt", load("vendor/uPlot-LICENSE.txt", ContentTypes.TEXT_PLAIN_UTF8));
        return Map.copyOf(out);
    }

    private static Asset load(String name, ContentType type) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard's " + ROOT + name + " is missing from the jar; rebuild with ./mvnw package");
            }
            return new Asset(ROOT + name, type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ROOT + name + " from the jar", e);
        }
    }
}
