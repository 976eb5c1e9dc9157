package ablate.trainer.cli;

import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT (Ctrl-C) and SIGTERM while a command works: the first asks it to stop at a safe point
 * (a training run finishes its step and writes a checkpoint), the second stops the process at once
 * (exit 130), as Megatron's --exit-signal-handler and torchtitan do. Closing restores the JVM's
 * own handlers.
 */
final class Interrupts implements AutoCloseable {
    private final AtomicInteger received = new AtomicInteger();
    private final SignalHandler previousInt;
    private final SignalHandler previousTerm;

    private Interrupts() {
        SignalHandler handler = signal -> {
            if (received.incrementAndGet() == 1) {
                System.err.println("\n" + signal.getName() + ": finishing the current step and writing a checkpoint"
                        + " (press Ctrl-C again to stop at once, losing the steps since the last checkpoint)");
            } else {
                System.err.println("\n" + signal.getName() + " again: stopping now");
                Runtime.getRuntime().halt(130);
            }
        };
        previousInt = Signal.handle(new Signal("INT"), handler);
        previousTerm = Signal.handle(new Signal("TERM"), handler);
    }

    static Interrupts install() {
        return new Interrupts();
    }

    boolean requested() {
        return received.get() > 0;
    }

    @Override
    public void close() {
        Signal.handle(new Signal("INT"), previousInt);
        Signal.handle(new Signal("TERM"), previousTerm);
    }
}
