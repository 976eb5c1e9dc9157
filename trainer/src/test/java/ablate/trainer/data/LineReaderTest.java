package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

    private static List<String> lines(String text) throws IOException {
        List<String> lines = new ArrayList<>();
        try (var reader = new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)))) {
            while (reader.next()) {
                lines.add(reader.lineNumber() + ":" + new String(reader.bytes(), 0, reader.length(), StandardCharsets.UTF_8));
            }
        }
        return lines;
    }

    @Test
    void keepsTerminatorsAndTheLastUnterminatedLine() throws IOException {
        assertThat(lines("a\r\nb\n\nc")).containsExactly("1:a\r\n", "2:b\n", "3:\n", "4:c");
        assertThat(lines("")).isEmpty();
    }

    @Test
    void linesLongerThanTheBufferStayWhole() throws IOException {
        String longLine = "x".repeat(200_000);
        assertThat(lines(longLine + "\nshort\n")).containsExactly("1:" + longLine + "\n", "2:short\n");
    }
}
