package ablate.trainer.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writes that survive a crash once they return: data and folder entries are fsynced. */
public final class Durable {
    private Durable() {}

    /**
     * Creates {@code file} with the bytes and fsyncs it.
     *
     * @throws WriteFailedException naming the file ("no space left on device writing FILE" when full)
     */
    public static void writeBytes(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(bytes), file);
            ch.force(true);
        } catch (IOException e) {
            throw WriteFailedException.of(file, e);
        }
    }

    /**
     * Writes all of {@code bytes} to {@code ch}, the channel of {@code file}: the one loop every
     * checkpoint and run file is written through, so that a full disk always names its file.
     */
    public static void writeFully(FileChannel ch, ByteBuffer bytes, Path file) throws WriteFailedException {
        try {
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        } catch (IOException e) {
            throw WriteFailedException.of(file, e);
        }
    }

    /** Fsyncs a folder so that files created or renamed in it are durable. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
