package ablate.trainer.data;

import ablate.trainer.checkpoint.Durable;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes one split as {@code NAME.bin} (packed little-endian tokens) and {@code NAME.idx}
 * (little-endian int64 token offsets of every document start, plus the final end).
 *
 * <p>It can take back its last document, which is how {@link DataPrepare} guarantees a
 * non-empty validation split without knowing the document count in advance.
 */
final class SplitWriter implements Closeable {

    private final FileChannel bin;
    private final FileChannel idx;
    private final Path binPath;
    private final Path idxPath;
    private final TokenDtype dtype;
    private final ByteBuffer binBuffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer idxBuffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long tokens;
    private long documents;
    private int[] last = new int[0];
    private boolean hasLast;

    private SplitWriter(FileChannel bin, FileChannel idx, Path dir, String split, TokenDtype dtype) {
        this.bin = bin;
        this.idx = idx;
        this.binPath = dir.resolve(split + ".bin");
        this.idxPath = dir.resolve(split + ".idx");
        this.dtype = dtype;
    }

    static SplitWriter create(Path dir, String split, TokenDtype dtype) throws IOException {
        FileChannel bin = FileChannel.open(dir.resolve(split + ".bin"),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileChannel idx;
        try {
            idx = FileChannel.open(dir.resolve(split + ".idx"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            bin.close();
            throw e;
        }
        var writer = new SplitWriter(bin, idx, dir, split, dtype);
        writer.putOffset(0);
        return writer;
    }

    /** Appends a document: its {@code ids}, then {@code eos}. */
    void append(int[] ids, int eos) throws IOException {
        for (int id : ids) {
            putToken(id);
        }
        putToken(eos);
        tokens += ids.length + 1L;
        documents++;
        putOffset(tokens);
        last = ids;
        hasLast = true;
    }

    /** Removes the document appended last and returns its ids, without the EOS. */
    int[] removeLast() throws IOException {
        if (!hasLast) {
            throw new IllegalStateException("no document to take back");
        }
        flush();
        tokens -= last.length + 1L;
        documents--;
        truncate(bin, tokens * dtype.bytes());
        truncate(idx, (documents + 1) * Long.BYTES);
        hasLast = false;
        return last;
    }

    SplitCounts counts() {
        return new SplitCounts(documents, tokens);
    }

    private void putToken(int id) throws IOException {
        if (binBuffer.remaining() < dtype.bytes()) {
            drain(binBuffer, bin, binPath);
        }
        if (dtype == TokenDtype.UINT16) {
            binBuffer.putShort((short) id);
        } else {
            binBuffer.putInt(id);
        }
    }

    private void putOffset(long offset) throws IOException {
        if (idxBuffer.remaining() < Long.BYTES) {
            drain(idxBuffer, idx, idxPath);
        }
        idxBuffer.putLong(offset);
    }

    private void flush() throws IOException {
        drain(binBuffer, bin, binPath);
        drain(idxBuffer, idx, idxPath);
    }

    /** Writes out the buffer; a full disk names the file ("no space left on device writing FILE"). */
    private static void drain(ByteBuffer buffer, FileChannel channel, Path file) throws IOException {
        buffer.flip();
        Durable.writeFully(channel, buffer, file);
        buffer.clear();
    }

    private static void truncate(FileChannel channel, long size) throws IOException {
        channel.truncate(size);
        channel.position(size);
    }

    @Override
    public void close() throws IOException {
        try (bin; idx) {
            flush();
        }
    }
}
