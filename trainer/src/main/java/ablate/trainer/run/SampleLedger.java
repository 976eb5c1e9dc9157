package ablate.trainer.run;

import ablate.trainer.parallel.MicroBatchRange;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * RUN_DIR/ledger.jsonl: the history of which samples a run consumed, append-only across every
 * resume, regroup and failure, so that it can be proved afterwards that each sample index was
 * consumed exactly once, in order ({@link #check}).
 *
 * <p>Lines: a step ({@code {"step": s, "first_sample": f, "samples": G, "micro_batch_size": b,
 * "shares": [[m0, m1], ...], "group": "..."}}: step s consumed samples [f, f + G), the ranks computing
 * the global micro-batches of each share); a restart from a checkpoint ({@code {"restart_from": c,
 * "reason": "..."}}: the steps after c are undone and done again); a regroup in memory
 * ({@code {"regroup_at": s, "group": "...", "ranks": R}}: nothing undone).
 */
public final class SampleLedger implements AutoCloseable {
    public static final String FILE = "ledger.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedWriter out;

    private SampleLedger(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /** Opens (creating) the ledger of the run in {@code runDir} for appending. */
    public static SampleLedger open(Path runDir) throws IOException {
        Path file = runDir.resolve(FILE);
        return new SampleLedger(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND));
    }

    /** The steps the run stands at by this ledger: its file replayed as written so far ({@link #check}). */
    public long steps() throws IOException {
        return check(file).steps();
    }

    /** Records step {@code m.step()}: its global batch of {@code samples} sequences, in micro-batches of {@code microBatchSize}. */
    public void step(StepMetrics m, int samples, int microBatchSize, String group) {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", m.step());
        n.put("first_sample", m.consumedSamples() - samples);
        n.put("samples", samples);
        n.put("micro_batch_size", microBatchSize);
        ArrayNode shares = n.putArray("shares");
        for (MicroBatchRange r : m.shares()) {
            shares.addArray().add(r.start()).add(r.end());
        }
        n.put("group", group);
        write(n);
    }

    /** Records that the run continues from checkpoint {@code step}: later steps are done again. */
    public void restart(long step, String reason) {
        write(JSON.createObjectNode().put("restart_from", step).put("reason", reason));
    }

    /** Records that the run continues after step {@code step} in memory, on a new group of {@code ranks}. */
    public void regroup(long step, String group, int ranks) {
        write(JSON.createObjectNode().put("regroup_at", step).put("group", group).put("ranks", ranks));
    }

    private void write(ObjectNode line) {
        try {
            out.write(JSON.writeValueAsString(line));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + FILE, e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /**
     * What {@link #check} found.
     *
     * @param steps steps applied in the end (the run stands at this step)
     * @param problem the first violation, with its line; empty when clean
     */
    public record Verdict(long steps, long samples, int restarts, int regroups, int undoneSteps, String problem) {
        public boolean clean() {
            return problem.isEmpty();
        }
    }

    /**
     * Replays a ledger: every step line must follow the last applied step, consume the samples right
     * after the previous step's, and have its ranks' shares tile the step's micro-batches; a restart
     * undoes the steps after its checkpoint. Clean means every sample index in [0, samples) was
     * consumed exactly once, in order, by the steps that stand.
     */
    public static Verdict check(Path ledger) throws IOException {
        List<String> lines = Files.readAllLines(ledger, StandardCharsets.UTF_8);
        long applied = 0;
        long consumed = 0;
        long perStep = -1;
        int restarts = 0;
        int regroups = 0;
        int undone = 0;
        for (int i = 0; i < lines.size(); i++) {
            String where = ledger.getFileName() + ":" + (i + 1) + ": ";
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(lines.get(i));
            } catch (IOException e) {
                return new Verdict(applied, consumed, restarts, regroups, undone, where + "not JSON: " + e.getMessage());
            }
            if (n.has("restart_from")) {
                long c = n.get("restart_from").asLong();
                if (c > applied || c < 0) {
                    return new Verdict(applied, consumed, restarts, regroups, undone, where + "restart from step " + c
                            + " but only " + applied + " steps stand");
                }
                undone += (int) (applied - c);
                applied = c;
                consumed = perStep < 0 ? 0 : c * perStep;
                restarts++;
                continue;
            }
            if (n.has("regroup_at")) {
                if (n.get("regroup_at").asLong() != applied) {
                    return new Verdict(applied, consumed, restarts, regroups, undone, where + "regroup at step "
                            + n.get("regroup_at").asLong() + " but the run stands at step " + applied);
                }
                regroups++;
                continue;
            }
            long step = n.path("step").asLong(-1);
            long first = n.path("first_sample").asLong(-1);
            int samples = n.path("samples").asInt(-1);
            int mb = n.path("micro_batch_size").asInt(-1);
            if (step != applied + 1) {
                return new Verdict(applied, consumed, restarts, regroups, undone, where + "step " + step + " after step " + applied
                        + (step <= applied ? ": consumed again without a restart" : ": steps missing"));
            }
            if (perStep >= 0 && samples != perStep || samples <= 0 || mb <= 0 || samples % mb != 0) {
                return new Verdict(applied, consumed, restarts, regroups, undone, where + "a global batch of " + samples
                        + " samples in micro-batches of " + mb + " (earlier steps: " + perStep + ")");
            }
            perStep = samples;
            if (first != consumed) {
                return new Verdict(applied, consumed, restarts, regroups, undone, where + "step " + step + " starts at sample "
                        + first + ", but samples [0, " + consumed + ") are consumed: "
                        + (first < consumed ? "consumed twice" : "skipped"));
            }
            long nextMicro = 0;
            for (JsonNode share : n.path("shares")) {
                if (share.get(0).asLong() != nextMicro || share.get(1).asLong() < nextMicro) {
                    return new Verdict(applied, consumed, restarts, regroups, undone, where + "the ranks' micro-batches do not tile"
                            + " the step: " + n.get("shares") + " (expected a share starting at " + nextMicro + ")");
                }
                nextMicro = share.get(1).asLong();
            }
            if (nextMicro != samples / mb) {
                return new Verdict(applied, consumed, restarts, regroups, undone, where + "the ranks computed " + nextMicro + " of "
                        + samples / mb + " micro-batches");
            }
            applied = step;
            consumed += samples;
        }
        return new Verdict(applied, consumed, restarts, regroups, undone, "");
    }
}
