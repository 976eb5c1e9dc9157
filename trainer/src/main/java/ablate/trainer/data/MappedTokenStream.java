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
 *
 * <p>Every token read is checked against the largest id corpus.json records: a file changed after
 * {@code data prepare} (a bad copy, an edit) fails at the first read of such a token with the file
 * and offset, instead of passing an id beyond the model's vocabulary to the embedding, where it
 * would crash in native code or read another token's row. Scanning the whole file at start would
 * catch it earlier but costs a pass over a corpus that may be larger than memory; this costs one
 * comparison per token read.
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
    private final int maxTokenId;

    private MappedTokenStream(Path file, MemorySegment segment, TokenDtype dtype, long length, int maxTokenId) {
        this.file = file;
        this.segment = segment;
        this.dtype = dtype;
        this.length = length;
        this.maxTokenId = maxTokenId;
    }

    /**
     * Maps the first {@code tokens} tokens of {@code file}; the mapping lives as long as {@code arena}.
     * Reads fail on an id above {@code maxTokenId}.
     */
    static MappedTokenStream map(Path file, TokenDtype dtype, long tokens, int maxTokenId, Arena arena) throws IOException {
        try (var channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, tokens * dtype.bytes(), arena);
            return new MappedTokenStream(file, segment, dtype, tokens, maxTokenId);
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
        for (int i = 0; i < dst.length; i++) {
            if (Integer.compareUnsigned(dst[i], maxTokenId) > 0) {
                throw new DataException(file + ": token " + (start + i) + " is id " + Integer.toUnsignedString(dst[i])
                        + ", above the largest id corpus.json records (" + maxTokenId + "); the file was changed after"
                        + " `data prepare` wrote it: prepare the corpus again");
            }
        }
    }

    @Override
    public String toString() {
        return "MappedTokenStream[" + file + ", " + length + " " + dtype.jsonName() + " tokens]";
    }
}
