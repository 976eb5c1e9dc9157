package ablate.cluster.node;

import ablate.conf.Settings;
import ablate.conf.SettingsException;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code cluster.tls}: Artery over TLS 1.3 with mutual authentication, so that only a node holding
 * a certificate signed by the cluster's CA joins (and the HTTP API serves HTTPS). The key store
 * holds this node's key and certificate chain, the trust store the CA certificate; both are PKCS12
 * (or JKS) files as {@code ops/tls/make-certs.sh} writes them. Both stores are opened at start, so
 * a wrong path or password stops the node with the key at fault, not at the first connection.
 */
public record TlsSettings(boolean enabled, Path keyStore, Secret keyStorePassword, Path trustStore, Secret trustStorePassword) {
    private static final String BLOCK = "cluster.tls.";

    public static TlsSettings off() {
        return new TlsSettings(false, Path.of(""), Secret.empty(), Path.of(""), Secret.empty());
    }

    /** Reads and checks the block; relative store paths are resolved against {@code dataDir}. */
    static TlsSettings read(Config c, Path dataDir, Map<String, String> env) {
        if (!NodeSettings.flagAt(c, BLOCK + "enabled")) {
            return off();
        }
        Path keyStore = store(c, "key-store", dataDir);
        Path trustStore = store(c, "trust-store", dataDir);
        Secret keyPassword = password(c, "key-store-password", env);
        Secret trustPassword = password(c, "trust-store-password", env);
        TlsSettings tls = new TlsSettings(true, keyStore, keyPassword, trustStore, trustPassword);
        KeyStore keys = load(keyStore, keyPassword, BLOCK + "key-store");
        KeyStore trusted = load(trustStore, trustPassword, BLOCK + "trust-store");
        try {
            if (Collections.list(keys.aliases()).stream().noneMatch(a -> isKey(keys, a))) {
                throw new SettingsException(BLOCK + "key-store", origin(c, "key-store"), keyStore + " holds no private key: it needs this node's"
                        + " key and certificate (ops/tls/make-certs.sh writes NODE.p12)");
            }
            if (Collections.list(trusted.aliases()).stream().noneMatch(a -> isCertificate(trusted, a))) {
                throw new SettingsException(BLOCK + "trust-store", origin(c, "trust-store"), trustStore + " holds no trusted certificate:"
                        + " it needs the cluster's CA certificate (ops/tls/make-certs.sh writes truststore.p12)");
            }
        } catch (GeneralSecurityException e) {
            throw new SettingsException(BLOCK + "key-store", origin(c, "key-store"), "cannot read " + keyStore + ": " + e.getMessage());
        }
        return tls;
    }

    /** Artery's settings: TLS over TCP, TLS 1.3, mutual authentication (a node without a CA-signed certificate is refused). */
    Map<String, Object> pekko() {
        Map<String, Object> p = new LinkedHashMap<>();
        if (!enabled) {
            return p;
        }
        String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
        p.put("pekko.remote.artery.transport", "tls-tcp");
        p.put(engine + "key-store", keyStore.toString());
        p.put(engine + "key-store-password", keyStorePassword.reveal());
        p.put(engine + "key-password", keyStorePassword.reveal());
        p.put(engine + "trust-store", trustStore.toString());
        p.put(engine + "trust-store-password", trustStorePassword.reveal());
        p.put(engine + "protocol", "TLSv1.3");
        p.put(engine + "require-mutual-authentication", "on");
        return p;
    }

    /** The HTTPS server's context: this node's key, the CA as trust. */
    public SSLContext sslContext() {
        try {
            KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            km.init(load(keyStore, keyStorePassword, BLOCK + "key-store"), keyStorePassword.reveal().toCharArray());
            TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tm.init(load(trustStore, trustStorePassword, BLOCK + "trust-store"));
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(km.getKeyManagers(), tm.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the TLS context from " + keyStore + " and " + trustStore + ": " + e.getMessage(), e);
        }
    }

    /** A client's context that trusts the CA in {@code trustStore} (the console's, for an HTTPS coordinator). */
    public static SSLContext trusting(Path trustStore, Secret password, String source) {
        try {
            TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tm.init(load(trustStore, password, source));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tm.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new SettingsException(source, trustStore.toString(), "cannot use it as a trust store: " + e.getMessage());
        }
    }

    /** Opens a store; {@code key} names the setting (or environment variable) it came from, for the error. */
    private static KeyStore load(Path file, Secret password, String key) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(in, password.reveal().toCharArray());
            return store;
        } catch (IOException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")
                    ? "wrong password for " + key + " (its password setting, or the environment variable it names)" : e.toString();
            throw new SettingsException(key, file.toString(), "cannot open " + file + ": " + why);
        } catch (GeneralSecurityException e) {
            throw new SettingsException(key, file.toString(), "cannot open " + file + ": " + e);
        }
    }

    private static boolean isKey(KeyStore store, String alias) {
        try {
            return store.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean isCertificate(KeyStore store, String alias) {
        try {
            return store.isCertificateEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static Path store(Config c, String key, Path dataDir) {
        String value = NodeSettings.stringAt(c, BLOCK + key);
        if (value.isBlank()) {
            throw new SettingsException(BLOCK + key, origin(c, key), "cluster.tls.enabled is on: give the path of the " + key
                    + " (ops/tls/make-certs.sh makes them)");
        }
        Path path = dataDir.resolve(value).toAbsolutePath().normalize();
        if (!Files.isReadable(path)) {
            throw new SettingsException(BLOCK + key, origin(c, key), path + " does not exist or is not readable");
        }
        return path;
    }

    private static Secret password(Config c, String key, Map<String, String> env) {
        String direct = NodeSettings.stringAt(c, BLOCK + key);
        if (!direct.isEmpty()) {
            return Secret.of(direct);
        }
        String envName = NodeSettings.stringAt(c, BLOCK + key + "-env");
        String fromEnv = env.getOrDefault(envName, "");
        if (fromEnv.isEmpty()) {
            throw new SettingsException(BLOCK + key, origin(c, key), "cluster.tls.enabled is on: set " + BLOCK + key
                    + " or the environment variable " + envName);
        }
        return Secret.of(fromEnv);
    }

    private static String origin(Config c, String key) {
        return Settings.originOf(c, BLOCK + key);
    }

    /** Without the passwords. */
    @Override
    public String toString() {
        return enabled ? "TLS[key-store=" + keyStore + ", trust-store=" + trustStore + "]" : "TLS[off]";
    }
}
