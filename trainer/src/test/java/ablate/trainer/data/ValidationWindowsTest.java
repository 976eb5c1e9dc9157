package ablate.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ValidationWindowsTest {

    private static TokenStream positions(int length) {
        return new ArrayTokenStream(IntStream.range(0, length).toArray());
    }

    @Test
    void takesConsecutiveWindowsFromTheStart() {
        var windows = new ValidationWindows(positions(100), 10, 3);
        assertThat(windows.size()).isEqualTo(3);
        int[] dst = new int[11];
        windows.window(2, dst);
        assertThat(dst).isEqualTo(IntStream.rangeClosed(20, 30).toArray());
    }

    @Test
    void clampsToTheWindowsThatExist() {
        assertThat(new ValidationWindows(positions(100), 10, 50).size()).isEqualTo(9);
        assertThat(new ValidationWindows(positions(11), 10, 50).size()).isEqualTo(1);
    }

    @Test
    void aStreamShorterThanOneWindowIsAClearError() {
        assertThatThrownBy(() -> new ValidationWindows(positions(10), 10, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10 tokens")
                .hasMessageContaining("seqLen + 1 = 11");
    }

    @Test
    void windowsOutsideTheSetAreRejected() {
        var windows = new ValidationWindows(positions(100), 10, 3);
        assertThatThrownBy(() -> windows.window(3, new int[11])).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
