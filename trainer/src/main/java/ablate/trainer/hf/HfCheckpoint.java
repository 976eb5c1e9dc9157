package ablate.trainer.hf;

import ablate.trainer.checkpoint.Safetensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The tensors of a Hugging Face checkpoint folder: {@code model.safetensors}, or the shards listed
 * by {@code model.safetensors.index.json}, or else every {@code *.safetensors} file. F32, F16 and
 * BF16 tensors are all read as fp32.
 */
final class HfCheckpoint {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    private final Map<String, Path> fileOf; // tensor name to the file holding it
    private final Map<String, Safetensors.Entry> entries;

    private HfCheckpoint(Map<String, Path> fileOf, Map<String, Safetensors.Entry> entries) {
        this.fileOf = fileOf;
        this.entries = entries;
    }

    static HfCheckpoint open(Path dir) throws IOException {
        Map<String, Path> fileOf = new LinkedHashMap<>();
        Map<String, Safetensors.Entry> entries = new LinkedHashMap<>();
        for (Path file : files(dir)) {
            for (Map.Entry<String, Safetensors.Entry> e : Safetensors.entries(file).entrySet()) {
                Path before = fileOf.put(e.getKey(), file);
                if (before != null) {
                    throw new IllegalArgumentException(e.getKey() + " is in both " + before + " and " + file);
                }
                entries.put(e.getKey(), e.getValue());
            }
        }
        return new HfCheckpoint(fileOf, entries);
    }

    private static Iterable<Path> files(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            JsonNode map = new ObjectMapper().readTree(index.toFile()).get("weight_map");
            if (map == null || !map.isObject()) {
                throw new IllegalArgumentException(index + " has no weight_map object");
            }
            Set<Path> shards = new java.util.LinkedHashSet<>();
            map.properties().forEach(e -> shards.add(dir.resolve(e.getValue().asText())));
            for (Path shard : shards) {
                if (!Files.isRegularFile(shard)) {
                    throw new IllegalArgumentException(index + " lists shard " + shard.getFileName() + ", which is missing");
                }
            }
            return shards;
        }
        if (Files.isRegularFile(dir.resolve(SINGLE))) {
            return java.util.List.of(dir.resolve(SINGLE));
        }
        try (Stream<Path> s = Files.list(dir)) {
            var found = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            if (found.isEmpty()) {
                throw new IllegalArgumentException(dir + " holds no " + SINGLE + ", " + INDEX
                        + " or other *.safetensors file (PyTorch .bin checkpoints are not read; convert them to safetensors)");
            }
            return found;
        }
    }

    /**
     * Fails, before any model is built, when config.json describes another model than the weights
     * hold: a different number of layers (the block index in tensor names) or parameters off by
     * more than the vocabulary padding could explain.
     */
    void checkMatches(Path configJson, int layers, long parameters) {
        java.util.regex.Pattern block = java.util.regex.Pattern.compile("\\.(?:h|layers)\\.(\\d+)\\.");
        Set<Integer> blocks = new java.util.TreeSet<>();
        long stored = 0;
        for (Map.Entry<String, Safetensors.Entry> e : entries.entrySet()) {
            java.util.regex.Matcher m = block.matcher(e.getKey());
            if (m.find()) {
                blocks.add(Integer.parseInt(m.group(1)));
            }
            long n = 1;
            for (long d : e.getValue().shape()) {
                n = Math.multiplyExact(n, d);
            }
            stored = Math.addExact(stored, n);
        }
        if (!blocks.isEmpty() && blocks.size() != layers) {
            throw new IllegalArgumentException(configJson + " describes " + layers + " layers but the weights hold " + blocks.size()
                    + "; the config does not belong to these weights");
        }
        if (stored > 0 && (parameters > 2 * stored || stored > 2 * parameters)) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s describes a model of %,d parameters but the"
                    + " weights hold %,d values; the config does not belong to these weights", configJson, parameters, stored));
        }
    }

    /** Tensor names, in file order. */
    Set<String> names() {
        return fileOf.keySet();
    }

    boolean has(String name) {
        return fileOf.containsKey(name);
    }

    long[] shape(String name) {
        return entries.get(name).shape();
    }

    float[] read(String name) throws IOException {
        return Safetensors.read(fileOf.get(name), name);
    }
}
