package ablate.cluster.collective;

import ablate.cluster.collective.RingCollective.Range;
import ablate.cluster.collective.RingCollective.Settings;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One rank of the all-reduce benchmark ({@code ops/bench/allreduce/run} starts one JVM per rank):
 * times {@link RingCollective} sums of float32 gradient payloads and prints, on rank 0, one JSON
 * line per mode and size. Each iteration starts after a barrier (an empty record all-gather) and
 * its time is the slowest rank's. Bus bandwidth = payload bytes x 2 (R - 1) / R / time, as
 * nccl-tests and the Gloo peer count it.
 */
@Command(name = "ring-bench", mixinStandardHelpOptions = true,
        description = "Times RingCollective all-reduces of float32 payloads; rank 0 prints one JSON line per mode and size.")
public final class RingBench implements Callable<Integer> {
    @Option(names = "--rank", required = true, description = "This rank.")
    int rank;

    @Option(names = "--ranks", required = true, description = "How many ranks.")
    int ranks;

    @Option(names = "--rendezvous-dir", required = true, paramLabel = "DIR",
            description = "A folder the ranks share: each listens on a free loopback port, writes it to rank-R.addr and waits for the others'.")
    Path rendezvous;

    @Option(names = "--sizes-mb", split = ",", defaultValue = "1,4,16,64,256", description = "float32 payloads in MiB. Default: ${DEFAULT-VALUE}.")
    List<Integer> sizesMb;

    @Option(names = "--modes", split = ",", defaultValue = "fast,deterministic",
            description = "fast: sum(FloatBuffer); deterministic: reduceScatter(LongBuffer of N) then allGather(FloatBuffer of N) "
                    + "(the conversion of the own chunk between them is not timed). Default: ${DEFAULT-VALUE}.")
    List<String> modes;

    @Option(names = "--warmup", defaultValue = "3",
            description = "Untimed iterations per mode and size, at least 64 MiB / size (the JIT needs them). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--iters", defaultValue = "10",
            description = "Timed iterations per mode and size, at least 64 MiB / size. Default: ${DEFAULT-VALUE}.")
    int iters;

    @Option(names = "--block-bytes", defaultValue = "1048576", description = "Pipelining block. Default: ${DEFAULT-VALUE}.")
    int blockBytes;

    @Option(names = "--timeout-s", defaultValue = "120", description = "Join deadline and no-progress timeout. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RingBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Endpoint endpoint = RingCollective.listen(new InetSocketAddress("127.0.0.1", 0));
        List<InetSocketAddress> group = exchangeAddresses(endpoint.address());
        Settings settings = new Settings("ring-bench", rank, ranks, Duration.ofSeconds(timeoutSeconds), blockBytes);
        ObjectMapper json = new ObjectMapper();
        try (RingCollective ring = RingCollective.join(endpoint, group, settings)) {
            for (int mb : sizesMb) {
                int n = mb * (1 << 20) / 4;
                FloatBuffer floats = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
                LongBuffer longs = ByteBuffer.allocateDirect(modes.contains("deterministic") ? 8 * n : 0).order(ByteOrder.nativeOrder()).asLongBuffer();
                for (int i = 0; i < n; i++) {
                    floats.put(i, 1f / (1 + (i & 1023)));
                }
                for (int i = 0; i < longs.capacity(); i++) {
                    longs.put(i, i);
                }
                for (String mode : modes) {
                    double[] seconds = time(ring, mode, floats, longs);
                    if (rank == 0) {
                        System.out.println(json.writeValueAsString(result(mode, group.size(), 4L * n, seconds)));
                        System.out.flush();
                    }
                }
            }
        }
        return 0;
    }

    private double[] time(RingCollective ring, String mode, FloatBuffer floats, LongBuffer longs) {
        int atLeast = (int) Math.ceil((64 << 20) / (4.0 * floats.capacity())); // gloo_peer.py counts the same
        double[] seconds = new double[Math.max(iters, atLeast)];
        for (int it = -Math.max(warmup, atLeast); it < seconds.length; it++) {
            ring.allGather(new byte[0]); // barrier
            long start = System.nanoTime();
            switch (mode) {
                case "fast" -> ring.sum(floats);
                case "deterministic" -> {
                    ring.reduceScatter(longs);
                    long converting = System.nanoTime(); // the caller's own work, not timed
                    Range mine = ring.chunk(ring.rank(), longs.remaining());
                    for (int i = (int) mine.start(); i < mine.end(); i++) {
                        floats.put(i, longs.get(i) * 0x1p-24f);
                    }
                    start += System.nanoTime() - converting;
                    ring.allGather(floats);
                }
                default -> throw new IllegalArgumentException("unknown mode '" + mode + "' (fast, deterministic)");
            }
            long mine = System.nanoTime() - start;
            long slowest = ring.allGather(ByteBuffer.allocate(8).putLong(0, mine).array()).stream()
                    .mapToLong(b -> ByteBuffer.wrap(b).getLong()).max().orElseThrow();
            if (it >= 0) {
                seconds[it] = slowest / 1e9;
            }
        }
        return seconds;
    }

    private Map<String, Object> result(String mode, int ranks, long bytes, double[] seconds) {
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("impl", "ablate");
        r.put("mode", mode);
        r.put("ranks", ranks);
        r.put("bytes", bytes);
        r.put("block_bytes", blockBytes);
        r.put("median_s", median);
        r.put("busbw_gbps", bytes * 2.0 * (ranks - 1) / ranks / median / 1e9);
        List<Double> all = new ArrayList<>();
        for (double s : seconds) {
            all.add(s);
        }
        r.put("times_s", all);
        return r;
    }

    /** Publishes this rank's port and waits (within the timeout) for every rank's, in rank order. */
    private List<InetSocketAddress> exchangeAddresses(InetSocketAddress mine) throws IOException, InterruptedException {
        Path tmp = rendezvous.resolve("rank-" + rank + ".tmp");
        Files.writeString(tmp, String.valueOf(mine.getPort()));
        Files.move(tmp, rendezvous.resolve("rank-" + rank + ".addr"), StandardCopyOption.ATOMIC_MOVE);
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        List<InetSocketAddress> group = new ArrayList<>();
        while (group.size() < ranks) {
            Path file = rendezvous.resolve("rank-" + group.size() + ".addr");
            if (Files.exists(file)) {
                group.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(Files.readString(file).strip())));
            } else if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("rank " + group.size() + " wrote no address to " + rendezvous + " within " + timeoutSeconds + " s");
            } else {
                Thread.sleep(20);
            }
        }
        return group;
    }
}
