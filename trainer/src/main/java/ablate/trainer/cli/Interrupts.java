package ablate.trainer.cli;

import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT (Ctrl-C) and SIGTERM while a command works: the first asks it to stop at a safe point
 * (a training run finishes its step and writes a checkpoint; `eval --all-checkpoints` finishes the
 * checkpoint it scores; `data prepare` removes its partial output), the second stops the process at
 * once (exit 130), as Megatron's --exit-signal-handler and torchtitan do. Closing restores the JVM's
 * own handlers.
 */
public final class Interrupts implements AutoCloseable {
    /** The exit code of a command stopped by a signal: 128 + SIGINT, as shells count. */
    public static final int EXIT = 130;

    private final AtomicInteger received = new AtomicInteger();
    private final SignalHandler previousInt;
    private final SignalHandler previousTerm;

    private Interrupts(String firstNotice, Runnable onFirst) {
        SignalHandler handler = signal -> {
            if (received.incrementAndGet() == 1) {
                System.err.println("\n" + signal.getName() + ": " + firstNotice);
                onFirst.run();
            } else {
                System.err.println("\n" + signal.getName() + " again: stopping now");
                Runtime.getRuntime().halt(EXIT);
            }
        };
        previousInt = Signal.handle(new Signal("INT"), handler);
        previousTerm = Signal.handle(new Signal("TERM"), handler);
    }

    /** {@code firstNotice}: what the command does on the first signal, as the user reads it after "INT: ". */
    public static Interrupts install(String firstNotice) {
        return new Interrupts(firstNotice, () -> { });
    }

    /** As {@link #install(String)}, also running {@code onFirst} (on the signal's thread) at the first signal. */
    public static Interrupts install(String firstNotice, Runnable onFirst) {
        return new Interrupts(firstNotice, onFirst);
    }

    public boolean requested() {
        return received.get() > 0;
    }

    @Override
    public void close() {
        Signal.handle(new Signal("INT"), previousInt);
        Signal.handle(new Signal("TERM"), previousTerm);
    }
}
