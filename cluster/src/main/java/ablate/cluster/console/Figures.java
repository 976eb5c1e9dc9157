package ablate.cluster.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** How the console writes the API's figures: losses, throughput, MFU, ages; "-" for what is not known (null). */
final class Figures {
    static final String UNKNOWN = "-";

    private Figures() {}

    static String loss(JsonNode value) {
        return value.isNumber() ? String.format(Locale.ROOT, "%.4f", value.asDouble()) : UNKNOWN;
    }

    static String tokensPerSecond(JsonNode value) {
        return value.isNumber() ? String.format(Locale.ROOT, "%,.0f", value.asDouble()) : UNKNOWN;
    }

    /** MFU (0-1) as a percentage. */
    static String mfu(JsonNode value) {
        return value.isNumber() ? String.format(Locale.ROOT, "%.1f%%", 100 * value.asDouble()) : UNKNOWN;
    }

    static String text(JsonNode value) {
        return value.isValueNode() && !value.isNull() && !value.asText().isEmpty() ? value.asText() : UNKNOWN;
    }

    /** A node's address without the actor system's name: "pekko://ablate@10.0.0.2:25520" is "10.0.0.2:25520". */
    static String node(String address) {
        return address.replaceFirst("^pekko://[^@/]+@", "");
    }

    /** step/steps of a run object. */
    static String progress(JsonNode run) {
        return run.path("step").asLong() + "/" + run.path("steps").asLong();
    }

    /** How long before {@code now} the ISO-8601 instant was: "8s ago", "3m ago", "2h ago", "5d ago". */
    static String age(JsonNode instant, Instant now) {
        Instant then;
        try {
            then = Instant.parse(instant.asText());
        } catch (DateTimeParseException e) {
            return UNKNOWN;
        }
        Duration d = Duration.between(then, now);
        if (d.isNegative()) {
            return "now";
        }
        long s = d.toSeconds();
        String amount = s < 120 ? s + "s" : s < 7200 ? d.toMinutes() + "m" : s < 172800 ? d.toHours() + "h" : d.toDays() + "d";
        return amount + " ago";
    }
}
