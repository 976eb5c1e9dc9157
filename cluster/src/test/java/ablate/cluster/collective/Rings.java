package ablate.cluster.collective;

import ablate.cluster.collective.RingCollective.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Rings of several ranks in one JVM for the tests: one thread per rank (daemon threads, left to the JVM's exit). */
final class Rings {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final ExecutorService threads = Executors.newCachedThreadPool(Thread.ofPlatform().name("rank-", 0).daemon().factory());

    private Rings() {}

    /** Joins a ring of {@code ranks} in this JVM. */
    static List<RingCollective> ring(int ranks, String group, Duration timeout) {
        return ring(ranks, group, r -> timeout);
    }

    /** With a timeout per rank. */
    static List<RingCollective> ring(int ranks, String group, Function<Integer, Duration> timeout) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            try {
                endpoints.add(RingCollective.listen(new InetSocketAddress("127.0.0.1", 0)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<InetSocketAddress> addresses = endpoints.stream().map(Endpoint::address).toList();
        return onEveryRank(ranks, r -> RingCollective.join(endpoints.get(r), addresses, Settings.of(group, r, ranks, timeout.apply(r))));
    }

    /** Runs {@code body} for ranks 0..n-1 at once, one thread each, and returns the results in rank order. */
    static <T> List<T> onEveryRank(int ranks, Function<Integer, T> body) {
        List<Future<T>> futures = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            futures.add(threads.submit(() -> body.apply(rank)));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> f : futures) {
            try {
                results.add(f.get(2 * TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return results;
    }

    static <T> List<T> onEveryRank(List<RingCollective> ring, Function<RingCollective, T> body) {
        return onEveryRank(ring.size(), r -> body.apply(ring.get(r)));
    }
}
