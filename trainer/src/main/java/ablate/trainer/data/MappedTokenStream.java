package ablate.trainer.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@code .bin} file of packed little-endian tokens, memory-mapped so that a corpus larger than
 * the heap costs only page cache.
 *
 * <p>The file is mapped as one {@link MemorySegment} in the caller's {@link Arena} rather than as
 * {@code MappedByteBuffer}s: segments have 64-bit offsets, so files beyond 2 GiB need no chunking,
 * and closing the arena unmaps at once instead of whenever the garbage collector gets to it; a read
 * after close fails with an exception instead of touching unmapped memory.
 */
final class MappedTokenStream implements TokenStream {

    private static final ValueLayout.OfShort U16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment segment;
    private final TokenDtype dtype;
    private final long length;

    private MappedTokenStream(Path file, MemorySegment segment, TokenDtype dtype, long length) {
        this.file = file;
        this.segment = segment;
        this.dtype = dtype;
        this.length = length;
    }

    /** Maps the first {@code tokens} tokens of {@code file}; the mapping lives as long as {@code arena}. */
    static MappedTokenStream map(Path file, TokenDtype dtype, long tokens, Arena arena) throws IOException {
        try (var channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, tokens * dtype.bytes(), arena);
            return new MappedTokenStream(file, segment, dtype, tokens);
        }
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public void read(long start, int[] dst) {
        TokenStream.checkRange(start, dst.length, length);
        if (dtype == TokenDtype.UINT16) {
            long offset = start * 2;
            for (int i = 0; i < dst.length; i++, offset += 2) {
                dst[i] = Short.toUnsignedInt(segment.get(U16, offset));
            }
        } else {
            long offset = start * 4;
            for (int i = 0; i < dst.length; i++, offset += 4) {
                dst[i] = segment.get(U32, offset);
            }
        }
    }

    @Override
    public String toString() {
        return "MappedTokenStream[" + file + ", " + length + " " + dtype.jsonName() + " tokens]";
    }
}
