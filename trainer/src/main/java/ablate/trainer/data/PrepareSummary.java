package ablate.trainer.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a {@code data prepare} run produced and what it left out; written as summary.json and
 * shown on the terminal with {@link #render()}.
 *
 * @param out the prepared directory
 * @param train documents and tokens (EOS included) in train.bin
 * @param val documents and tokens (EOS included) in val.bin
 * @param rejected input lines left out, by reason, with samples
 * @param skippedFiles files found in input directories that are not of a supported kind
 * @param seconds wall time of the run
 */
public record PrepareSummary(
        Path out, SplitCounts train, SplitCounts val, Rejections rejected, List<Path> skippedFiles, double seconds) {

    static final String FILE = "summary.json";

    public PrepareSummary {
        skippedFiles = List.copyOf(skippedFiles);
        if (seconds < 0) {
            throw new IllegalArgumentException("negative duration: " + seconds);
        }
    }

    public long documents() {
        return train.documents() + val.documents();
    }

    public long tokens() {
        return train.tokens() + val.tokens();
    }

    /** A few lines for the terminal. */
    public String render() {
        var text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "prepared %,d documents, %,d tokens in %.1f s -> %s%n",
                documents(), tokens(), seconds, out));
        text.append(String.format(Locale.ROOT, "  train: %,d documents, %,d tokens%n", train.documents(), train.tokens()));
        text.append(String.format(Locale.ROOT, "  val:   %,d documents, %,d tokens%n", val.documents(), val.tokens()));
        if (rejected.total() > 0) {
            String reasons = rejected.sortedCounts().entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue())
                    .collect(Collectors.joining(", "));
            text.append(String.format(Locale.ROOT, "  rejected lines: %,d (%s)%n", rejected.total(), reasons));
            rejected.samples().forEach(s -> text.append("    ").append(s).append(System.lineSeparator()));
        }
        if (!skippedFiles.isEmpty()) {
            text.append(String.format(Locale.ROOT, "  skipped files (not %s): %,d%n", InputFile.ACCEPTED, skippedFiles.size()));
            skippedFiles.stream().limit(Rejections.MAX_SAMPLES)
                    .forEach(p -> text.append("    ").append(p).append(System.lineSeparator()));
        }
        return text.toString();
    }

    void write(Path dir) throws IOException {
        var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("documents", documents());
        root.put("tokens", tokens());
        ObjectNode splits = root.putObject("splits");
        splits.putObject("train").put("documents", train.documents()).put("tokens", train.tokens());
        splits.putObject("val").put("documents", val.documents()).put("tokens", val.tokens());
        ObjectNode rejectedNode = root.putObject("rejected");
        rejectedNode.put("total", rejected.total());
        ObjectNode reasons = rejectedNode.putObject("byReason");
        rejected.sortedCounts().forEach(reasons::put);
        var samples = rejectedNode.putArray("samples");
        rejected.samples().forEach(samples::add);
        var skipped = root.putArray("skippedFiles");
        skippedFiles.forEach(p -> skipped.add(p.toString()));
        root.put("seconds", seconds);
        Files.writeString(dir.resolve(FILE), mapper.writeValueAsString(root) + "\n");
    }
}
