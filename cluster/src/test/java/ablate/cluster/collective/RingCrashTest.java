package ablate.cluster.collective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ablate.cluster.collective.RingCollective.Settings;
import ablate.trainer.parallel.AllReduceException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real peer in its own JVM ({@link RingPeer}) that is stopped or killed mid-run: this rank's call fails in time, naming it. */
class RingCrashTest {
    private static final int N = 1 << 20;

    @TempDir
    Path dir;

    private Process peer;

    @AfterEach
    void stopPeer() throws Exception {
        if (peer != null) {
            signal("CONT");
            peer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts rank 1 in another JVM and joins it as rank 0; a few sums show the ring works. */
    private RingCollective ringWithPeer(String group, Duration timeout) throws Exception {
        Endpoint endpoint = RingCollective.listen(new InetSocketAddress("127.0.0.1", 0));
        String java = ProcessHandle.current().info().command().orElseThrow();
        peer = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"), RingPeer.class.getName(), group,
                String.valueOf(endpoint.address().getPort()), String.valueOf(N), "60000")
                .redirectError(dir.resolve("peer.log").toFile())
                .start();
        var out = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
        String line = Rings.threads.submit(out::readLine).get(30, TimeUnit.SECONDS);
        assertThat(line).as("the peer's first line; its log: %s", peerLog()).startsWith("address ");
        var peerAddress = new InetSocketAddress("127.0.0.1", Integer.parseInt(line.substring("address ".length())));
        RingCollective ring = RingCollective.join(endpoint, List.of(endpoint.address(), peerAddress), Settings.of(group, 0, 2, timeout));
        FloatBuffer data = ByteBuffer.allocateDirect(4 * N).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int call = 0; call < 3; call++) {
            for (int i = 0; i < N; i++) {
                data.put(i, 2f);
            }
            ring.sum(data);
            assertThat(data.get(0)).isEqualTo(3f);
            assertThat(data.get(N - 1)).isEqualTo(3f);
        }
        return ring;
    }

    private String peerLog() throws IOException {
        return Files.readString(dir.resolve("peer.log"));
    }

    private void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, String.valueOf(peer.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void aStoppedPeerFailsTheCallWithinTheTimeoutNamingIt() throws Exception {
        Duration timeout = Duration.ofSeconds(2);
        try (RingCollective ring = ringWithPeer("stopped", timeout)) {
            signal("STOP");
            long start = System.nanoTime();
            AllReduceException failure = catchThrowableOfType(AllReduceException.class,
                    () -> ring.sum(ByteBuffer.allocateDirect(4 * N).order(ByteOrder.nativeOrder()).asFloatBuffer()));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(failure).as("the call fails").isNotNull()
                    .hasMessageContaining("rank 0 of 2 (group stopped): no progress for PT2S in sum(float32 x " + N + ")")
                    .hasMessageContaining("rank 1 at /127.0.0.1:");
            assertThat(took).isBetween(timeout.minusMillis(100), timeout.plusSeconds(3));
        }
    }

    @Test
    void aPeerKilledWhileThisRankWaitsForItFailsTheCallAtOnce() throws Exception {
        try (RingCollective ring = ringWithPeer("killed", Duration.ofSeconds(30))) {
            signal("STOP");
            Future<AllReduceException> call = Rings.threads.submit(() -> catchThrowableOfType(AllReduceException.class,
                    () -> ring.sum(ByteBuffer.allocateDirect(4 * N).order(ByteOrder.nativeOrder()).asFloatBuffer())));
            Thread.sleep(300); // the call now waits for the stopped peer
            long start = System.nanoTime();
            signal("KILL");
            AllReduceException failure = call.get(30, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(failure).as("the call fails").isNotNull().hasMessageContaining("rank 1 at /127.0.0.1:");
            assertThat(took).as("not at the 30 s timeout").isLessThan(Duration.ofSeconds(2));
        }
    }
}
