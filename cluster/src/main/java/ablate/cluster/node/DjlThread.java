package ablate.cluster.node;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The one thread on which a node does all its DJL work. libtorch's grad mode and DJL's NDScope are
 * per thread, and a model's arrays are not meant to be touched from two threads, so every call on
 * a replica is a task here, in order; the actor that schedules them stays on Pekko's dispatcher
 * and keeps answering messages while a step runs.
 */
public final class DjlThread implements AutoCloseable {
    private final ExecutorService executor = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("ablate-djl").daemon(false).factory());

    /** A running task: its result, and the handle that interrupts it. */
    public record Task<T>(CompletableFuture<T> result, Future<?> handle) {
        /** Interrupts the task (a collective it waits in fails at once); its result completes exceptionally. */
        public void cancel() {
            handle.cancel(true);
            result.completeExceptionally(new java.util.concurrent.CancellationException("cancelled")); // if it never started
        }
    }

    public <T> Task<T> submit(Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Future<?> handle = executor.submit(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return new Task<>(result, handle);
    }

    /** Runs what is queued (a replica's close), then stops; waits at most 30 s. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
