package ablate.trainer.checkpoint;

import ablate.trainer.data.InvalidFileException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * manifest.json of a checkpoint: the SHA-256 and size of every other file in it. Written last, so
 * a checkpoint without a manifest was never finished; a file whose hash differs was damaged.
 */
public record Manifest(long step, Map<String, FileSum> files) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String FILE = "manifest.json";

    /** One file's checksum. */
    public record FileSum(String sha256, long bytes) {}

    public Manifest {
        files = Map.copyOf(files);
    }

    public void write(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        root.put("step", step);
        ObjectNode fileNodes = root.putObject("files");
        new java.util.TreeMap<>(files).forEach((name, sum) -> {
            ObjectNode n = fileNodes.putObject(name);
            n.put("sha256", sum.sha256());
            n.put("bytes", sum.bytes());
        });
        Durable.writeBytes(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /**
     * Reads the manifest of a checkpoint folder; IOException naming the manifest and what is wrong
     * with it when it cannot, so that a resuming run sets the checkpoint aside as damaged instead of
     * failing on a field that is not there.
     */
    public static Manifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new InvalidFileException("no " + file + " (the checkpoint was not finished)");
        } catch (IOException e) {
            throw new InvalidFileException(file + " is unreadable: " + e.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("files").isObject() || !root.path("step").canConvertToLong()) {
            throw new InvalidFileException(file + " is incomplete: it needs a \"step\" number and a \"files\" object");
        }
        Map<String, FileSum> files = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("files").properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode sha = e.getValue().get("sha256");
            JsonNode bytes = e.getValue().get("bytes");
            if (sha == null || !sha.isTextual() || !sha.textValue().matches("[0-9a-f]{64}")) {
                throw new InvalidFileException(file + " lists " + e.getKey() + " without its checksum (\"sha256\": "
                        + (sha == null ? "missing" : sha.toString()) + ")");
            }
            if (bytes == null || !bytes.canConvertToLong() || !bytes.isIntegralNumber() || bytes.asLong() < 0) {
                throw new InvalidFileException(file + " lists " + e.getKey() + " without its size (\"bytes\": "
                        + (bytes == null ? "missing" : bytes.toString()) + ")");
            }
            files.put(e.getKey(), new FileSum(sha.textValue(), bytes.asLong()));
        }
        return new Manifest(root.get("step").asLong(), files);
    }

    /** Checks every listed file's size and hash; IOException naming the first that differs. */
    public void verify(Path dir) throws IOException {
        for (Map.Entry<String, FileSum> e : new java.util.TreeMap<>(files).entrySet()) {
            Path f = dir.resolve(e.getKey());
            if (!Files.isRegularFile(f)) {
                throw new InvalidFileException(f + " is missing (" + FILE + " lists it)");
            }
            long size = Files.size(f);
            if (size != e.getValue().bytes()) {
                throw new InvalidFileException(f + " has " + size + " bytes, " + FILE + " says " + e.getValue().bytes());
            }
            String actual = hash(f);
            if (!actual.equals(e.getValue().sha256())) {
                throw new InvalidFileException(f + " does not match its checksum (sha256 " + actual + ", expected "
                        + e.getValue().sha256() + ")");
            }
        }
    }

    public static String hash(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
            }
        }
        return hex(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
