package ablate.cluster.dashboard;

import ablate.trainer.run.MetricsLog;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows one run's metrics.jsonl for a page that stays open: each {@link #read} returns the complete
 * lines appended since the last one (at most {@code maxLines}, so a long history arrives over a few
 * updates instead of one huge event), reading only the new bytes. A run that resumes rewrites the
 * file to its checkpoint's lines; a file shorter than what was read, or replaced, restarts the tail
 * from the top with {@code reset} set, so the page drops the steps that will be recomputed.
 */
final class MetricsTail {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bytes read per call at most: a few thousand lines of ~250 bytes. */
    private static final int CHUNK = 1 << 20;

    private final Path file;
    private long offset;
    private long next;
    private Object fileKey;

    MetricsTail(Path runDir) {
        this.file = runDir.resolve(MetricsLog.FILE);
    }

    /** Lines read this time, their count so far (the next line's number) and whether the page must start over. */
    record Batch(List<JsonNode> lines, long next, boolean reset) {}

    Batch read(int maxLines) throws IOException {
        boolean reset = false;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            long size = channel.size();
            if (size < offset || (fileKey != null && key != null && !key.equals(fileKey))) {
                offset = 0;
                next = 0;
                reset = true;
            }
            fileKey = key;
            List<JsonNode> lines = new ArrayList<>();
            if (size > offset) {
                ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK, size - offset));
                channel.read(buffer, offset);
                byte[] bytes = buffer.array();
                int start = 0;
                for (int i = 0; i < buffer.position() && lines.size() < maxLines; i++) {
                    if (bytes[i] == '\n') {
                        String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                        if (!line.isBlank()) {
                            lines.add(JSON.readTree(line));
                        }
                        next++;
                        start = i + 1;
                    }
                }
                // a line without its newline yet is being written: it comes next time
                offset += start;
            }
            return new Batch(lines, next, reset);
        } catch (NoSuchFileException e) {
            boolean hadLines = offset > 0;
            offset = 0;
            next = 0;
            fileKey = null;
            return new Batch(List.of(), 0, hadLines);
        }
    }
}
