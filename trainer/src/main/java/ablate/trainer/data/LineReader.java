package ablate.trainer.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream at {@code '\n'} without decoding it, so that each line can be decoded
 * strictly on its own and an invalid byte costs one line, not the whole file.
 *
 * <p>Lines keep their terminator; the last line may lack one.
 */
final class LineReader implements Closeable {

    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private byte[] line = new byte[256];
    private int lineLength;
    private long lineNumber;

    LineReader(InputStream in) {
        this.in = in;
    }

    /** Advances to the next line; false at the end of the stream. */
    boolean next() throws IOException {
        lineLength = 0;
        while (true) {
            if (position == limit) {
                int read = in.read(buffer);
                if (read <= 0) {
                    position = limit = 0;
                    if (lineLength == 0) {
                        return false;
                    }
                    lineNumber++;
                    return true;
                }
                position = 0;
                limit = read;
            }
            int end = position;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            boolean found = end < limit;
            int take = (found ? end + 1 : end) - position;
            append(take);
            if (found) {
                lineNumber++;
                return true;
            }
        }
    }

    private void append(int count) {
        if (lineLength + count > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + count));
        }
        System.arraycopy(buffer, position, line, lineLength, count);
        lineLength += count;
        position += count;
    }

    /** The current line's bytes; valid until the next call to {@link #next}. */
    byte[] bytes() {
        return line;
    }

    /** Length of the current line, terminator included. */
    int length() {
        return lineLength;
    }

    /** 1-based number of the current line. */
    long lineNumber() {
        return lineNumber;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
