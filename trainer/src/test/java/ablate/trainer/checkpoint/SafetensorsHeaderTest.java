package ablate.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.trainer.data.InvalidFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A safetensors file whose header cannot be trusted fails with the file's name and what is wrong, never a bare parser error. */
class SafetensorsHeaderTest {
    @TempDir
    Path tmp;

    private static final String GOOD = "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}";

    static Stream<Arguments> damagedHeaders() {
        return Stream.of(
                Arguments.of("the header is cut off", file(GOOD.substring(0, 40), 8),
                        ": the header is not valid JSON (Unexpected end-of-input"),
                Arguments.of("the header is not JSON at all", file("\u0000\u0001garbage", 8), ": the header is not valid JSON ("),
                Arguments.of("the header is a list", file("[1, 2]", 8), ": the header is a JSON ARRAY, not an object of tensors"),
                Arguments.of("the header length exceeds the file", withLength(file(GOOD, 8), 10_000),
                        ": the header length 10000 exceeds the " + (GOOD.length() + 8) + " bytes after it; the file is truncated"),
                Arguments.of("the header length is negative", withLength(file(GOOD, 8), -1),
                        ": the header length 18446744073709551615 exceeds the"),
                Arguments.of("fewer bytes than the header length", new byte[] {1, 2, 3},
                        " is not a safetensors file: 3 bytes, fewer than the 8 of its header length"),
                Arguments.of("a tensor runs past the end",
                        file("{\"w\": {\"dtype\": \"F32\", \"shape\": [200], \"data_offsets\": [0, 800]}}", 8),
                        ": tensor w has data_offsets [0, 800], which run past the end of the file's 8 data bytes; the file is truncated"),
                Arguments.of("offsets that end before they begin",
                        file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", 8),
                        ": tensor w has data_offsets [8, 0] that end before they begin"),
                Arguments.of("no data_offsets", file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}", 8),
                        ": tensor w has no \"data_offsets\" pair [begin, end]"),
                Arguments.of("a negative dimension",
                        file("{\"w\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", 8),
                        ": tensor w: shape holds -2, not a non-negative integer"),
                Arguments.of("no dtype", file("{\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8),
                        ": tensor w has no \"dtype\" string"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damagedHeaders")
    void aDamagedHeaderNamesTheFileAndWhatIsWrong(String what, byte[] bytes, String problem) throws IOException {
        Path file = Files.write(tmp.resolve("model.safetensors"), bytes);
        assertThatThrownBy(() -> Safetensors.entries(file)).isInstanceOf(InvalidFileException.class)
                .hasMessageStartingWith(file.toString()).hasMessageContaining(file + problem);
        assertThatThrownBy(() -> Safetensors.read(file, "w")).isInstanceOf(InvalidFileException.class)
                .hasMessageContaining(file + problem);
    }

    @Test
    void aTensorWhoseShapeDoesNotFitItsBytesIsNamed() throws IOException {
        Path file = Files.write(tmp.resolve("odd.safetensors"),
                file("{\"w\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 8]}}", 8));
        assertThatThrownBy(() -> Safetensors.read(file, "w")).hasMessage(file + ": tensor w has shape [4611686018427387904, 4],"
                + " more elements than a long counts");
    }

    @Test
    void anIntactFileReads() throws IOException {
        byte[] bytes = file(GOOD, 8);
        ByteBuffer.wrap(bytes, bytes.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f);
        Path file = Files.write(tmp.resolve("good.safetensors"), bytes);
        assertThat(Safetensors.read(file, "w")).containsExactly(1.5f, -2f);
    }

    /** An 8-byte length, the header, then {@code dataBytes} zero bytes. */
    private static byte[] file(String header, int dataBytes) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).array();
    }

    private static byte[] withLength(byte[] bytes, long length) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return bytes;
    }
}
