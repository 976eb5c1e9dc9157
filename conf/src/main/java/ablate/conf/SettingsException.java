package ablate.conf;

/**
 * A setting that cannot be used, with the key it belongs to and where that key was set (file and
 * line, a --set argument, or the built-in reference), so that the message alone tells the user
 * what to change.
 */
public final class SettingsException extends RuntimeException {
    private final String key;
    private final String origin;
    private final String problem;

    public SettingsException(String key, String origin, String problem) {
        super(origin.isEmpty() ? key + ": " + problem : key + " (" + origin + "): " + problem);
        this.key = key;
        this.origin = origin;
        this.problem = problem;
    }

    /** A problem found where the origin is not known yet; {@link Settings} adds it. */
    public static SettingsException of(String key, String problem) {
        return new SettingsException(key, "", problem);
    }

    public String key() {
        return key;
    }

    /** Where the key was set ("file:line", "--set ...", "built-in reference.conf:line"); empty when unknown. */
    public String origin() {
        return origin;
    }

    /** True when the message already names where the key was set. */
    boolean hasOrigin() {
        return !origin.isEmpty();
    }

    /** The problem without key and origin. */
    public String problem() {
        return problem;
    }
}
