package ablate.cluster.demo;

import ablate.cluster.console.ClientEnvironment;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Follows a study through `ablate study STUDY --json` and prints one line per run (state, step,
 * loss, tokens/s, ETA) every few seconds while anything changes, until every run has ended and been
 * scored, or the deadline passes.
 */
final class StudyProgress {
    private static final Duration EVERY = Duration.ofSeconds(15);

    private final ClientEnvironment client;
    private final String study;
    private final long steps;
    private final PrintStream out;
    /** Per run, when (nanos) and at which step it was first seen training: for its ETA. */
    private final Map<String, long[]> firstSeen = new HashMap<>();

    StudyProgress(ClientEnvironment client, String study, long steps, PrintStream out) {
        this.client = client;
        this.study = study;
        this.steps = steps;
        this.out = out;
    }

    /** @return whether every run finished and was scored in time */
    boolean follow(Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        long nextPrint = 0;
        String last = "";
        while (true) {
            Demo.Command c = Demo.ablate(client, "study", study, "--json");
            if (c.exit() != 0) {
                throw new IllegalStateException("ablate study " + study + ": " + c.err());
            }
            JsonNode runs = Demo.json(c);
            String block = block(runs);
            boolean done = true;
            boolean failed = false;
            for (JsonNode r : runs) {
                String state = r.path("state").asText();
                failed |= state.equals("failed") || state.equals("cancelled");
                done &= !state.equals("queued") && !state.equals("running")
                        && (!state.equals("finished") || r.path("eval").path("step").asLong() == r.path("steps").asLong());
            }
            String states = block.replaceAll("(?m)step.*$", "");
            if (done || System.nanoTime() >= nextPrint || !states.equals(last)) {
                out.print(block);
                out.flush();
                nextPrint = System.nanoTime() + EVERY.toNanos();
                last = states;
            }
            if (done) {
                if (failed) {
                    out.println("some runs failed: see their error above and the logs");
                }
                return !failed;
            }
            if (System.nanoTime() > deadline) {
                out.println("the study did not finish within --timeout; its runs go on until the nodes stop");
                return false;
            }
            Thread.sleep(1000);
        }
    }

    private String block(JsonNode runs) {
        StringBuilder s = new StringBuilder();
        int finished = 0;
        int scored = 0;
        for (JsonNode r : runs) {
            finished += r.path("state").asText().equals("finished") ? 1 : 0;
            scored += r.path("eval").path("step").asLong() == r.path("steps").asLong() ? 1 : 0;
        }
        s.append(String.format(Locale.ROOT, "study %s: %d of %d runs finished, %d scored%n", study, finished, runs.size(), scored));
        for (JsonNode r : runs) {
            String name = r.path("name").asText().substring(study.length() + 1);
            String state = r.path("state").asText();
            long step = r.path("step").asLong();
            if (state.equals("finished") && r.path("eval").path("step").asLong() != r.path("steps").asLong()) {
                state = "scoring";
            } else if (state.equals("finished")) {
                state = String.format(Locale.ROOT, "scored: avg acc %.1f%%", 100 * r.path("eval").path("avg_acc").asDouble());
            }
            s.append(String.format(Locale.ROOT, "  %-18s %-10s step %4d/%d  loss %s  %s tok/s  ETA %s%n", name, state, step, steps,
                    r.path("loss").isNumber() ? String.format(Locale.ROOT, "%.4f", r.path("loss").asDouble()) : "-     ",
                    r.path("tokens_per_s").isNumber() ? String.format(Locale.ROOT, "%6.0f", r.path("tokens_per_s").asDouble()) : "     -",
                    eta(name, r.path("state").asText(), step)));
        }
        return s.toString();
    }

    private String eta(String run, String state, long step) {
        if (!state.equals("running")) {
            return state.equals("queued") ? "waits for a trainer" : "-";
        }
        long now = System.nanoTime();
        long[] first = firstSeen.computeIfAbsent(run, k -> new long[] {now, step});
        if (step <= first[1] || now == first[0]) {
            return "-";
        }
        double perStep = (now - first[0]) / 1e9 / (step - first[1]);
        long seconds = Math.round(perStep * (steps - step));
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
