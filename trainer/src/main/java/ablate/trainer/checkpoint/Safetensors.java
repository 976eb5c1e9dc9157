package ablate.trainer.checkpoint;

import ablate.trainer.data.InvalidFileException;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * mapping names to dtype, shape and byte offsets, then the raw little-endian data. ablate writes
 * fp32; it reads F32, F16 and BF16, widening the 16-bit types to fp32 while reading (DJL aborts on
 * bf16 arrays).
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor's place in a file. */
    public record Entry(String dtype, long[] shape, long begin, long end) {}

    private Safetensors() {}

    /**
     * Writes the arrays (fp32) and fsyncs the file.
     *
     * @return the SHA-256 of the file's bytes, hex
     */
    public static String write(Path file, Map<String, NDArray> arrays, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            NDArray a = e.getValue();
            if (a.getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException(e.getKey() + " is " + a.getDataType() + "; checkpoints hold fp32");
            }
            long bytes = a.getShape().size() * 4;
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", "F32");
            var shape = entry.putArray("shape");
            for (long dim : a.getShape().getShape()) {
                shape.add(dim);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        MessageDigest sha = Manifest.sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            sha.update(head.duplicate());
            Durable.writeFully(ch, head, file);
            for (NDArray a : arrays.values()) {
                ByteBuffer data = littleEndianBytes(a);
                sha.update(data.duplicate());
                Durable.writeFully(ch, data, file);
            }
            ch.force(true);
        } catch (IOException e) {
            throw WriteFailedException.of(file, e);
        }
        return Manifest.hex(sha.digest());
    }

    /** The {@code __metadata__} strings of a file (empty when it has none). */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, file).metadata;
        }
    }

    /** The header of a file: entries by name, in file order. */
    public static Map<String, Entry> entries(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, file).entries;
        }
    }

    /**
     * Copies every named tensor of the file into the array of the same name, checking that the
     * file holds exactly those names with those shapes.
     */
    public static void readInto(Path file, Map<String, NDArray> targets) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(ch, file);
            for (String name : targets.keySet()) {
                if (!header.entries.containsKey(name)) {
                    throw new InvalidFileException(file + " has no tensor named " + name);
                }
            }
            for (String name : header.entries.keySet()) {
                if (!targets.containsKey(name)) {
                    throw new InvalidFileException(file + " holds " + name + ", which this model does not have");
                }
            }
            for (Map.Entry<String, NDArray> t : targets.entrySet()) {
                Entry entry = header.entries.get(t.getKey());
                Shape expected = t.getValue().getShape();
                if (!new Shape(entry.shape()).equals(expected)) {
                    throw new InvalidFileException(file + ": " + t.getKey() + " has shape " + new Shape(entry.shape())
                            + ", the model expects " + expected);
                }
                Torch.copyInto(t.getValue(), readFloats(ch, header.dataStart, t.getKey(), entry, file)); // into its own storage
            }
        }
    }

    /** Reads one tensor as fp32 values. */
    public static float[] read(Path file, String name) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(ch, file);
            Entry entry = header.entries.get(name);
            if (entry == null) {
                throw new InvalidFileException(file + " has no tensor named " + name);
            }
            return readFloats(ch, header.dataStart, name, entry, file);
        }
    }

    private record Header(Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {}

    /** The format's own cap on the header (safetensors refuses larger ones too), so a wild length cannot exhaust memory. */
    private static final long MAX_HEADER = 100_000_000;

    /**
     * Reads and checks the header: every message names the file and what is wrong with it, since a
     * damaged or foreign file here is the user's input (an HF download, a checkpoint) and the
     * reader's exception alone (an offset, a Jackson location) would not say which file to replace.
     */
    private static Header readHeader(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new InvalidFileException(file + " is not a safetensors file: " + size + " bytes, fewer than the 8 of its header length");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0, file);
        long headerLength = len.flip().getLong();
        if (headerLength <= 0 || headerLength > size - 8) {
            throw new InvalidFileException(file + ": the header length " + Long.toUnsignedString(headerLength) + " exceeds the "
                    + (size - 8) + " bytes after it; the file is truncated or not a safetensors file");
        }
        if (headerLength > MAX_HEADER) {
            throw new InvalidFileException(file + ": the header length " + headerLength + " is above the format's limit of "
                    + MAX_HEADER + " bytes; not a safetensors file");
        }
        ByteBuffer json = ByteBuffer.allocate((int) headerLength);
        readFully(ch, json, 8, file);
        JsonNode root;
        try {
            root = JSON.readTree(new String(json.array(), StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidFileException(file + ": the header is not valid JSON (" + e.getOriginalMessage().lines().findFirst().orElse("")
                    + "); the file is damaged or not a safetensors file", e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidFileException(file + ": the header is " + (root == null ? "empty" : "a JSON " + root.getNodeType())
                    + ", not an object of tensors");
        }
        long dataBytes = size - 8 - headerLength;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            Entry entry = entry(e.getKey(), e.getValue(), file);
            if (entry.end() > dataBytes) {
                throw new InvalidFileException(file + ": tensor " + e.getKey() + " has data_offsets [" + entry.begin() + ", " + entry.end()
                        + "], which run past the end of the file's " + dataBytes + " data bytes; the file is truncated");
            }
            entries.put(e.getKey(), entry);
        }
        return new Header(entries, metadata, 8 + headerLength);
    }

    private static Entry entry(String name, JsonNode n, Path file) throws IOException {
        String where = file + ": tensor " + name;
        if (!n.isObject()) {
            throw new InvalidFileException(where + " is " + n.getNodeType() + ", not an object with dtype, shape and data_offsets");
        }
        JsonNode dtype = n.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw new InvalidFileException(where + " has no \"dtype\" string");
        }
        JsonNode shapeNode = n.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new InvalidFileException(where + " has no \"shape\" list");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegative(shapeNode.get(i), where + ": shape");
        }
        JsonNode offsets = n.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new InvalidFileException(where + " has no \"data_offsets\" pair [begin, end]");
        }
        long begin = nonNegative(offsets.get(0), where + ": data_offsets");
        long end = nonNegative(offsets.get(1), where + ": data_offsets");
        if (begin > end) {
            throw new InvalidFileException(where + " has data_offsets [" + begin + ", " + end + "] that end before they begin");
        }
        return new Entry(dtype.asText(), shape, begin, end);
    }

    private static long nonNegative(JsonNode value, String what) throws IOException {
        if (value == null || !value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0) {
            throw new InvalidFileException(what + " holds " + value + ", not a non-negative integer");
        }
        return value.asLong();
    }

    private static float[] readFloats(FileChannel ch, long dataStart, String name, Entry entry, Path file) throws IOException {
        long count = 1;
        try {
            for (long d : entry.shape()) {
                count = Math.multiplyExact(count, d);
            }
        } catch (ArithmeticException e) {
            throw new InvalidFileException(file + ": tensor " + name + " has shape " + java.util.Arrays.toString(entry.shape())
                    + ", more elements than a long counts");
        }
        int width = switch (entry.dtype()) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new InvalidFileException(file + ": dtype " + entry.dtype() + " is not supported (F32, F16, BF16 are)");
        };
        if (count > Long.MAX_VALUE / width || entry.end() - entry.begin() != count * width) {
            throw new InvalidFileException(file + ": tensor " + name + " of " + count + " " + entry.dtype() + " values cannot take "
                    + (entry.end() - entry.begin()) + " bytes");
        }
        if (entry.end() - entry.begin() > Integer.MAX_VALUE) {
            throw new InvalidFileException(file + ": tensor " + name + " takes " + (entry.end() - entry.begin()) + " bytes, more than the "
                    + Integer.MAX_VALUE + " this reader maps and holds in one Java array");
        }
        MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + entry.begin(), entry.end() - entry.begin());
        map.order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[(int) count];
        switch (entry.dtype()) {
            case "F32" -> map.asFloatBuffer().get(values);
            case "F16" -> {
                ShortBuffer s = map.asShortBuffer();
                for (int i = 0; i < values.length; i++) {
                    values[i] = Float.float16ToFloat(s.get(i));
                }
            }
            default -> {
                ShortBuffer s = map.asShortBuffer();
                for (int i = 0; i < values.length; i++) {
                    values[i] = Float.intBitsToFloat((s.get(i) & 0xFFFF) << 16);
                }
            }
        }
        return values;
    }

    private static ByteBuffer littleEndianBytes(NDArray a) {
        ByteBuffer native_ = a.toByteBuffer();
        if (native_.order() == ByteOrder.LITTLE_ENDIAN) {
            return native_;
        }
        FloatBuffer floats = native_.asFloatBuffer();
        ByteBuffer le = ByteBuffer.allocate(floats.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
        le.asFloatBuffer().put(floats);
        return le;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, Path file) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new IOException(file + " ended while it was read (was it truncated meanwhile?)");
            }
            p += n;
        }
    }
}
