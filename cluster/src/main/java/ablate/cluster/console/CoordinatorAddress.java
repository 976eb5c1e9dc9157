package ablate.cluster.console;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the coordinator's HTTP API listens: HOST:PORT, as `ablate node` prints it (an "http://"
 * before it is fine; "https://" when the cluster runs with cluster.tls).
 */
public record CoordinatorAddress(String host, int port, boolean https) {
    private static final Pattern FORM = Pattern.compile("(?:(https?)://)?(\\[[0-9A-Fa-f:.]+]|[^:/\\s\\[\\]]+):(\\d{1,5})/?");

    public CoordinatorAddress(String host, int port) {
        this(host, port, false);
    }

    public CoordinatorAddress {
        if (host.isBlank() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("not a coordinator address: " + host + ":" + port);
        }
    }

    /** Parses {@code text}; {@code source} names where it came from for the error (--coordinator or ABLATE_COORDINATOR). */
    public static CoordinatorAddress parse(String text, String source) {
        Matcher m = FORM.matcher(text.strip());
        int port = m.matches() ? Integer.parseInt(m.group(3)) : 0;
        if (!m.matches() || port < 1 || port > 65535) {
            throw new IllegalArgumentException(source + " '" + text + "': give the coordinator's HTTP API as HOST:PORT, e.g. 127.0.0.1:8080");
        }
        return new CoordinatorAddress(m.group(2), port, "https".equals(m.group(1)));
    }

    @Override
    public String toString() {
        return (https ? "https://" : "") + host + ":" + port;
    }
}
