package ablate.trainer.data;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * The bytes of one input file, decompressed as its name says.
 *
 * <p>A {@code .gz} cut short by an interrupted download or a {@code .zst} that is not zstd makes
 * the decompressor throw a bare {@code EOFException} or {@code ZstdIOException} that names no
 * file; here it becomes a {@link DataException} naming the file and saying whether the data end
 * early or are not of the kind the name says. A failure to read the file itself (the disk's, not
 * the data's) stays an {@link IOException}, with the file's name added.
 */
final class CompressedInput extends FilterInputStream {

    private static final int BUFFER = 1 << 20;

    private final Path path;
    private final String kind;

    private CompressedInput(InputStream in, Path path, String kind) {
        super(in);
        this.path = path;
        this.kind = kind;
    }

    /** Opens {@code path}, decompressing {@code compression}. */
    static InputStream open(Path path, InputFile.Compression compression) throws IOException {
        InputStream raw = new BufferedInputStream(new FileBytes(Files.newInputStream(path), path), BUFFER);
        try {
            return switch (compression) {
                case NONE -> raw;
                case GZIP -> new CompressedInput(gzip(raw, path), path, "gzip");
                case ZSTD -> new CompressedInput(new BufferedInputStream(new ZstdInputStream(raw), BUFFER), path, "zstd");
            };
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** GZIPInputStream reads the header as it is made, so a file that is not gzip fails here already. */
    private static InputStream gzip(InputStream raw, Path path) throws IOException {
        try {
            return new GZIPInputStream(raw, BUFFER);
        } catch (FileBytes.ReadFailed e) {
            throw e;
        } catch (IOException e) {
            throw damaged(path, "gzip", e);
        }
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (FileBytes.ReadFailed e) {
            throw e;
        } catch (IOException e) {
            throw damaged(path, kind, e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (FileBytes.ReadFailed e) {
            throw e;
        } catch (IOException e) {
            throw damaged(path, kind, e);
        }
    }

    private static DataException damaged(Path path, String kind, IOException e) {
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        boolean truncated = e instanceof EOFException || detail.toLowerCase(Locale.ROOT).contains("truncated");
        String what = truncated
                ? "is truncated: its " + kind + " data end before the stream does"
                : "is corrupt: not valid " + kind + " data";
        return new DataException("input " + path + " " + what + " (" + detail + "); nothing was written, "
                + "replace the file (download it again) or leave it out", e);
    }

    /** The file's own bytes; a read failure says which file, and is told apart from bad compressed data. */
    private static final class FileBytes extends FilterInputStream {
        private final Path path;

        FileBytes(InputStream in, Path path) {
            super(in);
            this.path = path;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw new ReadFailed(path, e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw new ReadFailed(path, e);
            }
        }

        /** Reading the file failed (the disk, permissions), as opposed to its contents being bad. */
        static final class ReadFailed extends IOException {
            ReadFailed(Path path, IOException cause) {
                super("cannot read input " + path + ": " + cause.getMessage(), cause);
            }
        }
    }
}
