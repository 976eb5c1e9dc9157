package ablate.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Fixtures and file readers shared by the data tests. */
final class TestData {

    private TestData() {}

    /** Copies the classpath resource {@code data/NAME} to {@code dir/target} and returns the copy. */
    static Path copyResource(String name, Path dir, String target) {
        try (InputStream in = TestData.class.getResourceAsStream("/data/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource data/" + name + " is missing");
            }
            Path file = dir.resolve(target);
            Files.createDirectories(file.getParent());
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fixture tokenizer.json: a lower-casing WordLevel model of ~30 words, EOS id 1. */
    static Path tokenizerFixture(Path dir) {
        return copyResource("tokenizer/tokenizer.json", dir, "tokenizer/tokenizer.json");
    }

    static String resourceText(String name) {
        try (InputStream in = TestData.class.getResourceAsStream("/data/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All tokens of a stream. */
    static int[] all(TokenStream stream) {
        int[] tokens = new int[Math.toIntExact(stream.length())];
        stream.read(0, tokens);
        return tokens;
    }

    /** The little-endian int64 values of an .idx file. */
    static long[] readIdx(Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long[] offsets = new long[buffer.remaining() / Long.BYTES];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = buffer.getLong();
        }
        return offsets;
    }

    /** Splits a token array at EOS and decodes every document. */
    static List<String> documents(int[] tokens, Tokenizer tokenizer) {
        List<String> docs = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == tokenizer.eosId()) {
                docs.add(tokenizer.decode(Arrays.copyOfRange(tokens, start, i)));
                start = i + 1;
            }
        }
        return docs;
    }
}
