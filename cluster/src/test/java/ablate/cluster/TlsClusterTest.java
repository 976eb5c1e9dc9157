package ablate.cluster;

import ablate.cluster.demo.NodeJvm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.cluster.node.Secret;
import ablate.cluster.node.TlsSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cluster.tls with real JVMs: certificates from ops/tls/make-certs.sh, a coordinator and a trainer
 * of the cluster's CA join over TLS and the API answers over HTTPS only; a trainer whose
 * certificate another CA signed, and one without TLS, never get in.
 */
class TlsClusterTest {
    private static final String TOKEN = "tls-test-token-5e1a0c77";
    private static final String KEY_PASSWORD = "key-pass-4411";
    private static final String TRUST_PASSWORD = "trust-pass-9922";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final List<NodeJvm> nodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (NodeJvm n : nodes.reversed()) {
            n.close();
        }
    }

    private void makeCerts(Path out, String... nodeSpecs) throws Exception {
        Path script = Path.of("..", "ops", "tls", "make-certs.sh").toAbsolutePath().normalize();
        List<String> command = new ArrayList<>(List.of("bash", script.toString(), out.toString()));
        command.addAll(List.of(nodeSpecs));
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().put("ABLATE_TLS_KEY_STORE_PASSWORD", KEY_PASSWORD);
        b.environment().put("ABLATE_TLS_TRUST_STORE_PASSWORD", TRUST_PASSWORD);
        b.environment().put("KEYTOOL", Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        Process p = b.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("make-certs.sh: %s", output).isZero();
    }

    private List<String> tlsArgs(Path certs, String node) {
        return List.of("--set", "cluster.tls.enabled=on", "--set", "cluster.tls.key-store=" + certs.resolve(node + ".p12"),
                "--set", "cluster.tls.trust-store=" + certs.resolve("truststore.p12"));
    }

    private static List<String> env() {
        return List.of("ABLATE_TOKEN=" + TOKEN, "ABLATE_TLS_KEY_STORE_PASSWORD=" + KEY_PASSWORD,
                "ABLATE_TLS_TRUST_STORE_PASSWORD=" + TRUST_PASSWORD);
    }

    private NodeJvm node(boolean await, String name, String role, List<String> extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--role", role, "--data-dir", dir.resolve(name).toString()));
        args.addAll(extra);
        Path log = dir.resolve(name + ".log");
        NodeJvm n = await ? NodeProcess.start(log, env(), args.toArray(String[]::new))
                : NodeProcess.spawn(log, env(), args.toArray(String[]::new));
        nodes.add(n);
        return n;
    }

    @Test
    void onlyNodesWithACertificateOfTheClustersCaJoinAndTheApiServesHttps() throws Exception {
        Path certs = dir.resolve("certs");
        makeCerts(certs, "coordinator=ip:127.0.0.1", "trainer=ip:127.0.0.1");
        Path rogue = dir.resolve("rogue-certs");
        makeCerts(rogue, "intruder=ip:127.0.0.1");

        List<String> coordinatorArgs = new ArrayList<>(List.of("--http-port", "0"));
        coordinatorArgs.addAll(tlsArgs(certs, "coordinator"));
        NodeJvm coordinator = node(true, "coordinator", "coordinator", coordinatorArgs);
        assertThat(Files.readString(coordinator.log())).contains("api: https://").contains("Artery tls-tcp");
        List<String> trainerArgs = new ArrayList<>(List.of("--seed", coordinator.address()));
        trainerArgs.addAll(tlsArgs(certs, "trainer"));
        node(true, "trainer", "trainer", trainerArgs);

        // another CA's certificate, and no TLS at all: both knock for a while and stay out
        List<String> intruderArgs = new ArrayList<>(List.of("--seed", coordinator.address()));
        intruderArgs.addAll(tlsArgs(rogue, "intruder"));
        NodeJvm intruder = node(false, "intruder", "trainer", intruderArgs);
        NodeJvm plain = node(false, "plain", "trainer", List.of("--seed", coordinator.address()));

        HttpClient https = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(TlsSettings.trusting(certs.resolve("truststore.p12"), Secret.of(TRUST_PASSWORD), "test")).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode trainers = null;
        while (System.nanoTime() < deadline) {
            trainers = nodesSeen(https, coordinator.api());
            if (trainers.size() >= 1) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(trainers).as("the trainer with the CA's certificate joined").hasSize(1);
        Thread.sleep(15_000); // the intruders keep trying to join meanwhile
        assertThat(nodesSeen(https, coordinator.api())).as("still only the trainer of the cluster's CA").hasSize(1);
        assertThat(Files.readString(intruder.log())).doesNotContain("node up");
        assertThat(Files.readString(plain.log())).doesNotContain("node up");
        assertThat(Files.readString(coordinator.log())).containsPattern("(?i)ssl|handshake|certificate");

        // the console's client: https:// and the trust store from the environment
        ablate.cluster.console.ClientEnvironment clientEnv = new ablate.cluster.console.ClientEnvironment(java.util.Map.of(
                "ABLATE_COORDINATOR", "https://" + coordinator.api(), "ABLATE_TOKEN", TOKEN,
                "ABLATE_TLS_TRUST_STORE", certs.resolve("truststore.p12").toString(), "ABLATE_TLS_TRUST_STORE_PASSWORD", TRUST_PASSWORD),
                dir, java.time.Clock.systemUTC(), Duration.ofSeconds(1), Duration.ofSeconds(10));
        try (var client = new ablate.cluster.console.ClientOptions().client(clientEnv)) {
            assertThat(client.get("/api/nodes").json().isArray()).isTrue();
        }

        // plain HTTP to the HTTPS port gets nothing
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("http://" + coordinator.api() + "/api/nodes"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void badTlsSettingsStopTheNodeAtStartNamingTheKeyAndNeverThePassword() throws Exception {
        Path certs = dir.resolve("certs");
        makeCerts(certs, "trainer=ip:127.0.0.1");
        java.util.Map<String, String> env = java.util.Map.of("ABLATE_TLS_KEY_STORE_PASSWORD", KEY_PASSWORD,
                "ABLATE_TLS_TRUST_STORE_PASSWORD", TRUST_PASSWORD);
        java.util.function.BiFunction<java.util.Map<String, String>, String[], ablate.cluster.node.NodeSettings> load = (e, o) ->
                ablate.cluster.node.NodeSettings.load(TestNodes.config(o), new ablate.cluster.node.NodeSettings.Launch(
                        java.util.Set.of(ablate.cluster.node.Role.TRAINER), "127.0.0.1", 0, dir), e);
        String key = "cluster.tls.key-store=" + certs.resolve("trainer.p12");
        String trust = "cluster.tls.trust-store=" + certs.resolve("truststore.p12");

        assertThat(load.apply(env, new String[] {"cluster.tls.enabled=on", key, trust}).pekkoConfig()
                .getString("pekko.remote.artery.transport")).isEqualTo("tls-tcp");
        assertThatThrownBy(() -> load.apply(env, new String[] {"cluster.tls.enabled=on", trust}))
                .hasMessageContaining("cluster.tls.key-store").hasMessageContaining("make-certs.sh");
        assertThatThrownBy(() -> load.apply(env, new String[] {"cluster.tls.enabled=on", "cluster.tls.key-store=nowhere.p12", trust}))
                .hasMessageContaining("cluster.tls.key-store").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> load.apply(java.util.Map.of("ABLATE_TLS_KEY_STORE_PASSWORD", "wrong-password-1",
                "ABLATE_TLS_TRUST_STORE_PASSWORD", TRUST_PASSWORD), new String[] {"cluster.tls.enabled=on", key, trust}))
                .hasMessageContaining("cluster.tls.key-store").hasMessageContaining("password").hasMessageNotContaining("wrong-password-1");
        assertThatThrownBy(() -> load.apply(java.util.Map.of("ABLATE_TLS_TRUST_STORE_PASSWORD", TRUST_PASSWORD),
                new String[] {"cluster.tls.enabled=on", key, trust}))
                .hasMessageContaining("cluster.tls.key-store-password").hasMessageContaining("ABLATE_TLS_KEY_STORE_PASSWORD");
        assertThatThrownBy(() -> load.apply(java.util.Map.of("ABLATE_TLS_KEY_STORE_PASSWORD", TRUST_PASSWORD,
                "ABLATE_TLS_TRUST_STORE_PASSWORD", TRUST_PASSWORD), new String[] {"cluster.tls.enabled=on",
                        "cluster.tls.key-store=" + certs.resolve("truststore.p12"), trust}))
                .hasMessageContaining("holds no private key");
    }

    /** Trainers the coordinator lists as reachable, over HTTPS. */
    private static JsonNode nodesSeen(HttpClient https, String api) throws Exception {
        HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://" + api + "/api/nodes")).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<JsonNode> seen = new ArrayList<>();
        for (JsonNode n : JSON.readTree(r.body())) {
            // every member but the coordinator itself: a joined intruder counts whatever its role
            if (n.path("reachable").asBoolean() && !n.path("host").asText().isEmpty() && !n.path("role").asText().equals("coordinator")) {
                seen.add(n);
            }
        }
        return JSON.valueToTree(seen);
    }
}
