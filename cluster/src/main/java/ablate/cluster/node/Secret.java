package ablate.cluster.node;

import java.util.Objects;

/**
 * A password or token. Its {@link #toString()} never shows the value, so a record holding one can be
 * logged and a failing check can print it; the value is read only through {@link #reveal()}, which
 * makes every use easy to find.
 */
public final class Secret {
    private static final Secret EMPTY = new Secret("");

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String value) {
        return value.isEmpty() ? EMPTY : new Secret(Objects.requireNonNull(value));
    }

    public static Secret empty() {
        return EMPTY;
    }

    /** The value itself: only for handing it to the database driver or comparing a request's token. */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value.isEmpty() ? "(empty)" : "(secret)";
    }
}
