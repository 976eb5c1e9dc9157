package ablate.cluster.protocol;

/** A message holds an object whose class {@link Registrations} does not list: nothing was sent or stored. */
public final class UnregisteredClassException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String className;

    public UnregisteredClassException(Class<?> type) {
        super(type.getName() + " is not registered for cluster messages: append it to"
                + " ablate.cluster.protocol.Registrations.CLASSES (records and enums only)");
        this.className = type.getName();
    }

    public String className() {
        return className;
    }
}
