package ablate.cluster.demo;

import ablate.trainer.data.DataPrepare;
import ablate.trainer.data.PrepareOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A user's text for the demo: paragraphs (separated by blank lines) are documents; every 20th is
 * held out for the probe tasks and never trained on, the rest is prepared with the byte tokenizer.
 */
record CorpusSplit(Path prepared, List<String> heldOut) {
    private static final int HOLD_OUT_EVERY = 20;

    static CorpusSplit prepare(Path text, Path dir) throws IOException {
        if (!Files.isRegularFile(text)) {
            throw new IllegalArgumentException("--corpus " + text + " is not a file");
        }
        String[] paragraphs = Files.readString(text, StandardCharsets.UTF_8).split("\\R\\s*\\R");
        List<String> train = new ArrayList<>();
        List<String> heldOut = new ArrayList<>();
        for (int i = 0; i < paragraphs.length; i++) {
            String p = paragraphs[i].strip().replaceAll("\\s+", " ");
            if (!p.isEmpty()) {
                (i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 ? heldOut : train).add(p);
            }
        }
        if (train.size() < 20 || heldOut.isEmpty()) {
            throw new IllegalArgumentException("--corpus " + text + " holds " + (train.size() + heldOut.size())
                    + " paragraphs; the demo needs at least 40 (documents are separated by blank lines)");
        }
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (String p : train) {
            lines.append(json.createObjectNode().put("text", p)).append('\n');
        }
        Path jsonl = Files.writeString(dir.resolve("train.jsonl"), lines, StandardCharsets.UTF_8);
        Path prepared = dir.resolve("prepared");
        DataPrepare.run(PrepareOptions.defaults(List.of(jsonl), prepared).withValFraction(0.05));
        return new CorpusSplit(prepared, heldOut);
    }
}
