package ablate.trainer.hf;

import ablate.trainer.checkpoint.Safetensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The tensors of a Hugging Face checkpoint folder: {@code model.safetensors}, or the shards listed
 * by {@code model.safetensors.index.json}, or else every {@code *.safetensors} file. F32, F16 and
 * BF16 tensors are all read as fp32.
 */
final class HfCheckpoint {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    /**
     * A block's tensors: {@code h.N.}, {@code layers.N.} or T5's {@code block.N.}, bare or after a
     * prefix (an encoder-decoder's stacks count their blocks alike); indices beyond 9 digits are no block.
     */
    private static final Pattern BLOCK = Pattern.compile("(?:^|\\.)(h|layers|block)\\.(\\d{1,9})\\.");

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
     * Fails, before any setting is validated or anything allocated, when config.json's sizes are
     * not those of the weights: its layer count against the blocks the tensor names hold, its
     * vocabulary and hidden size against the token embedding's shape. Only numbers compare here,
     * so a config.json of a million layers beside weights for two fails on the mismatch, naming
     * both files and the key.
     */
    void checkSizes(Path configJson, HfConfig.Imported config) {
        List<String> layers = layersIn(names());
        int expected = config.size("layers");
        if (layers.size() != expected) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s says %s = %d but %s weights for %d"
                    + " layers (%s)", configJson, config.keys().get("layers"), expected, holders(), layers.size(), describe(layers)));
        }
        Architecture arch = config.architecture();
        find(arch.embeddingName(), arch).ifPresent(embedding -> {
            long[] shape = shape(embedding);
            String stored = fileOf.get(embedding).getFileName() + " holds " + embedding + " of shape " + new ai.djl.ndarray.types.Shape(shape);
            if (shape.length != 2) {
                throw new IllegalArgumentException(configJson.getParent() + ": " + stored + " where a (vocab_size, hidden size)"
                        + " matrix belongs");
            }
            if (shape[0] != config.size("vocab-size")) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s says vocab_size = %d but %s (%d rows)",
                        configJson, config.size("vocab-size"), stored, shape[0]));
            }
            if (shape[1] != config.size("d-model")) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s says %s = %d but %s (%d wide)",
                        configJson, config.keys().get("d-model"), config.size("d-model"), stored, shape[1]));
            }
        });
    }

    /**
     * The blocks a set of tensor names holds, in index order, as "h.0", "layers.12": the
     * (prefixed or bare) {@code h.N.} of GPT-2, BLOOM and ablate, {@code layers.N.} of GPT-NeoX and
     * LLaMA, {@code block.N.} of T5 (an encoder-decoder's two stacks are counted once, by index).
     */
    static List<String> layersIn(Collection<String> names) {
        Map<Integer, String> found = new TreeMap<>();
        for (String name : names) {
            Matcher m = BLOCK.matcher(name);
            if (m.find()) {
                found.putIfAbsent(Integer.parseInt(m.group(2)), m.group(1) + "." + m.group(2));
            }
        }
        return List.copyOf(found.values());
    }

    /** "h.0, h.1", or the first three and the last of a longer list; what was looked for when empty. */
    static String describe(List<String> layers) {
        if (layers.isEmpty()) {
            return "no tensor named h.N.*, layers.N.* or block.N.*";
        }
        if (layers.size() <= 5) {
            return String.join(", ", layers);
        }
        return String.join(", ", layers.subList(0, 3)) + ", ..., " + layers.getLast();
    }

    /**
     * The name as stored: with the base model's prefix, or without it (checkpoints saved from the
     * base model); T5's shared embedding also under the name of a stack's alias of it, which a
     * checkpoint may have kept instead.
     */
    Optional<String> find(String name, Architecture arch) {
        if (has(name)) {
            return Optional.of(name);
        }
        if (name.startsWith(arch.prefix) && has(name.substring(arch.prefix.length()))) {
            return Optional.of(name.substring(arch.prefix.length()));
        }
        if (arch == Architecture.T5 && name.equals("shared.weight")) {
            return java.util.stream.Stream.of("encoder.embed_tokens.weight", "decoder.embed_tokens.weight").filter(this::has).findFirst();
        }
        return Optional.empty();
    }

    /** The file holding a tensor, by its name in the folder. */
    String fileName(String tensor) {
        return fileOf.get(tensor).getFileName().toString();
    }

    /** "model.safetensors holds", or "a.safetensors, b.safetensors hold". */
    private String holders() {
        List<String> files = fileOf.values().stream().distinct().map(p -> p.getFileName().toString()).toList();
        return files.isEmpty() ? "the weight files hold" : String.join(", ", files) + (files.size() == 1 ? " holds" : " hold");
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
