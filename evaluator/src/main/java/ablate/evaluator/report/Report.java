package ablate.evaluator.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Writes a study's report: {@code report.html} (self-contained: styles and SVG charts inline, no
 * scripts, no external resources) and {@code report.md} beside it with the same tables.
 */
public final class Report {
    private final Study study;
    /** Fitted once for both files: each fit refits its bootstrap resamples. */
    private ScalingSection scaling;

    public Report(Study study) {
        this.study = study;
    }

    private ScalingSection scaling() {
        if (scaling == null) {
            scaling = ScalingSection.of(study.variants());
        }
        return scaling;
    }

    /** Writes both files into {@code out}; returns the HTML file. */
    public Path write(Path out) throws IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve("report.md"), markdown());
        Path html = out.resolve("report.html");
        Files.writeString(html, html());
        return html;
    }

    /** The averages per variant at its last evaluation, as the table shows them (for tests and the CLI). */
    public Map<String, Double> averages() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Variant v : study.variants()) {
            if (v.evaluated()) {
                out.put(v.name(), v.last().average());
            }
        }
        return out;
    }

    public List<Comparison> comparisons() {
        Variant base = study.baseVariant();
        List<Comparison> out = new ArrayList<>();
        if (!base.evaluated()) {
            return out;
        }
        for (Variant v : study.variants()) {
            if (v != base && v.evaluated()) {
                out.add(Comparison.of(v, base));
            }
        }
        return out;
    }

    /**
     * Per variant, the table's figures as values (NaN: not measured): what {@code ablate results --json}
     * prints. Keys: name, base, avg_acc, avg_acc_stderr, delta, delta_stderr, p_value, verdict,
     * significant, final_val_loss, tokens_per_s (median over the steps after the warm-up), tokens_per_s_spread
     * (half their interquartile range), mfu, tokens, tasks (task to acc).
     */
    public List<Map<String, Object>> summary() {
        Map<String, Comparison> byName = new LinkedHashMap<>();
        comparisons().forEach(c -> byName.put(c.variant(), c));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Variant v : study.variants()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", v.name());
            row.put("base", v.name().equals(study.base()));
            row.put("avg_acc", v.evaluated() ? v.last().average() : Double.NaN);
            row.put("avg_acc_stderr", v.evaluated() ? v.last().averageStderr().orElse(Double.NaN) : Double.NaN);
            Comparison c = byName.get(v.name());
            row.put("delta", c == null ? Double.NaN : c.delta());
            row.put("delta_stderr", c == null ? Double.NaN : c.stderr());
            row.put("p_value", c == null ? Double.NaN : c.pValue());
            row.put("verdict", c == null ? "" : c.verdict());
            row.put("significant", c != null && c.significant());
            row.put("final_val_loss", v.finalValidationLoss());
            row.put("tokens_per_s", v.tokensPerSecond());
            row.put("tokens_per_s_spread", v.speed().spread());
            row.put("mfu", v.mfu());
            row.put("tokens", v.evaluated() ? v.last().tokens() : Double.NaN);
            Map<String, Double> tasks = new LinkedHashMap<>();
            if (v.evaluated()) {
                v.last().tasks().forEach((t, score) -> tasks.put(t, score.value()));
            }
            row.put("tasks", tasks);
            out.add(row);
        }
        return out;
    }

    /** The summary and per-task tables as markdown (report.md without its charts note). */
    public String markdown() {
        StringBuilder md = new StringBuilder("# Study report\n\n");
        md.append("Base: `").append(study.base()).append("` (").append(study.baseChoice().reason()).append("). ")
                .append(VERDICT_RULE).append("\n\n");
        md.append("| variant | avg acc (").append(taskCountNote()).append(") | ± stderr | Δ vs base | verdict | final val loss | ")
                .append(TOKENS_HEADER).append(" | MFU | tokens seen |\n");
        md.append("|---|---:|---:|---:|---|---:|---:|---:|---:|\n");
        for (Row r : rows()) {
            md.append("| ").append(String.join(" | ", r.cells())).append(" |\n");
        }
        List<String> tasks = allTasks();
        if (!tasks.isEmpty()) {
            md.append("\n## Per-task acc (last evaluation)\n\n| task |");
            evaluated().forEach(v -> md.append(' ').append(v.name()).append(" |"));
            md.append("\n|---|");
            evaluated().forEach(v -> md.append("---:|"));
            md.append('\n');
            for (String t : tasks) {
                md.append("| ").append(t).append(" |");
                for (Variant v : evaluated()) {
                    Score s = v.last().tasks().get(t);
                    md.append(' ').append(s == null ? "" : pct(s.value())).append(" |");
                }
                md.append('\n');
            }
        }
        md.append('\n').append(skippedNote()).append('\n');
        List<ThroughputComparison> speeds = throughputs();
        if (!speeds.isEmpty()) {
            md.append("\n## Throughput\n\n").append(THROUGHPUT_RULE).append("\n\n");
            speeds.forEach(t -> md.append("- ").append(t.describe()).append('\n'));
        }
        md.append("\n## Scaling\n\n").append(ScalingSection.RULES).append("\n\n");
        scaling().lines().forEach(l -> md.append("- ").append(l.text()).append('\n'));
        md.append("\nCharts (loss curves, accuracy against tokens, per-task and throughput bars, fitted laws) are in report.html.\n");
        md.append("\n").append(planNote()).append('\n');
        return md.toString();
    }

    /** How to carry this study's winners into the final model: `ablate plan --study` on the study's folder. */
    private String planNote() {
        String folder = java.nio.file.Path.of(study.baseVariant().source()).toAbsolutePath().getParent() == null ? "STUDY"
                : java.nio.file.Path.of(study.baseVariant().source()).toAbsolutePath().getParent().toString();
        return "Carry the winners into the model for your budget (each axis's choice where it beats the base beyond the noise and "
                + "keeps 90% of its throughput): ablate plan --gpu-hours H --gpu a100-80gb --gpus N --study " + folder;
    }

    private static final String TOKENS_HEADER = "tokens/s (median ± IQR/2)";

    private static final String THROUGHPUT_RULE = "Tokens/s is the median over a run's logged steps after the first "
            + Speed.WARMUP_STEPS + " (warm-up), ± half the interquartile range. A ratio is within noise where the middle halves "
            + "of the two runs' step rates overlap; runs whose step times varied more than " + (int) ThroughputComparison.LOAD_RATIO
            + "x differently (interquartile range / 1.349 over the median) are flagged as perhaps measured under different load.";

    private static final String VERDICT_RULE = "A verdict is given only where the difference exceeds the noise: a paired "
            + "t-test over the tasks both variants report (per-task differences in acc, two-sided, 5%). The ± on an "
            + "average is sqrt(sum of the tasks' squared standard errors) / tasks.";

    /** The self-contained report.html (inline styles and SVG charts, no script, nothing fetched). */
    public String html() {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>ablate study report</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}")
                .append("table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f2f2f2}")
                .append(".better{color:#1a7f37;font-weight:bold}.worse{color:#c62828;font-weight:bold}.note{color:#555;font-size:13px}")
                .append("figure{margin:12px 0}svg{max-width:100%;height:auto}\n</style>\n</head>\n<body>\n");
        h.append("<h1>Study report</h1>\n<p id=\"base\">Base: <code>").append(esc(study.base())).append("</code> (")
                .append(esc(study.baseChoice().reason())).append("). ").append(esc(VERDICT_RULE)).append("</p>\n");
        h.append("<h2>Variants</h2>\n<table id=\"summary\">\n<tr><th>variant</th><th>avg acc (").append(esc(taskCountNote()))
                .append(")</th><th>± stderr</th><th>Δ vs base</th><th>verdict</th><th>final val loss</th><th>").append(esc(TOKENS_HEADER))
                .append("</th><th>MFU</th><th>tokens seen</th></tr>\n");
        for (Row r : rows()) {
            h.append("<tr data-variant=\"").append(esc(r.cells().getFirst())).append("\">");
            for (int i = 0; i < r.cells().size(); i++) {
                String cls = i == 0 ? "" : i == 4 ? r.verdictClass() : "n";
                h.append("<td").append(cls.isEmpty() ? "" : " class=\"" + cls + "\"").append('>').append(esc(r.cells().get(i))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n<p class=\"note\">").append(esc(skippedNote())).append("</p>\n");
        h.append("<h2>Sources</h2>\n<ul>\n");
        study.variants().forEach(v -> h.append("<li><code>").append(esc(v.name())).append("</code>: ").append(esc(v.source()))
                .append(v.axes().isEmpty() ? "" : " (" + esc(v.axes().toString()) + ")").append("</li>\n"));
        h.append("</ul>\n");
        charts(h);
        throughputSection(h);
        perTaskTable(h);
        scalingSection(h);
        h.append("<h2>Next</h2>\n<p>").append(esc(planNote())).append("</p>\n");
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private void charts(StringBuilder h) {
        List<Charts.Series> loss = new ArrayList<>();
        for (Variant v : study.variants()) {
            if (!v.train().isEmpty()) {
                loss.add(new Charts.Series(v.name() + " train", v.train(), false, false));
            }
            if (!v.validation().isEmpty()) {
                loss.add(new Charts.Series(v.name() + " val", v.validation(), true, true));
            }
        }
        if (!loss.isEmpty()) {
            figure(h, Charts.lines("loss", "Training (solid) and validation (dashed) loss", "tokens seen", "loss", loss, false));
        }
        List<Charts.Series> acc = new ArrayList<>();
        for (Variant v : evaluated()) {
            acc.add(new Charts.Series(v.name(), v.evaluations().stream()
                    .filter(e -> !Double.isNaN(e.tokens()))
                    .map(e -> new double[] {e.tokens(), 100 * e.average()}).toList(), false, true));
        }
        if (acc.stream().anyMatch(s -> !s.points().isEmpty())) {
            figure(h, Charts.lines("accuracy", "Average zero-shot acc against tokens seen", "tokens seen", "average acc (%)", acc, false));
        }
        Map<String, Map<String, Double>> perTask = new LinkedHashMap<>();
        for (String t : allTasks()) {
            Map<String, Double> row = new LinkedHashMap<>();
            for (Variant v : evaluated()) {
                Score s = v.last().tasks().get(t);
                if (s != null) {
                    row.put(v.name(), 100 * s.value());
                }
            }
            perTask.put(t, row);
        }
        if (!perTask.isEmpty()) {
            figure(h, Charts.bars("tasks", "Per-task acc at the last evaluation", "acc (%)", perTask, Math.max(760, 34 * perTask.size())));
        }
        Map<String, Map<String, Double>> speed = new LinkedHashMap<>();
        for (Variant v : study.variants()) {
            if (!Double.isNaN(v.tokensPerSecond())) {
                speed.put(v.name(), Map.of("tokens/s", v.tokensPerSecond()));
            }
        }
        if (!speed.isEmpty()) {
            figure(h, Charts.bars("throughput", "Training throughput (median over each run's steps after the first "
                    + Speed.WARMUP_STEPS + ")", "tokens/s", speed, 760));
        }
    }

    private void perTaskTable(StringBuilder h) {
        List<String> tasks = allTasks();
        if (tasks.isEmpty()) {
            return;
        }
        h.append("<h2>Per-task acc (last evaluation)</h2>\n<table id=\"tasks\">\n<tr><th>task</th>");
        evaluated().forEach(v -> h.append("<th>").append(esc(v.name())).append("</th>"));
        h.append("</tr>\n");
        for (String t : tasks) {
            h.append("<tr><td>").append(esc(t)).append("</td>");
            for (Variant v : evaluated()) {
                Score s = v.last().tasks().get(t);
                h.append("<td class=\"n\">").append(s == null ? "" : esc(pct(s.value()) + (Double.isNaN(s.stderr()) ? "" : " ± " + pct(s.stderr()))))
                        .append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    /** Each variant's tokens/s against the base's, where either was measured. */
    public List<ThroughputComparison> throughputs() {
        Variant base = study.baseVariant();
        return study.variants().stream().filter(v -> v != base && (v.speed().known() || base.speed().known()))
                .map(v -> new ThroughputComparison(v, base)).toList();
    }

    private void throughputSection(StringBuilder h) {
        List<ThroughputComparison> speeds = throughputs();
        if (speeds.isEmpty()) {
            return;
        }
        h.append("<h2>Throughput</h2>\n<p class=\"note\">").append(esc(THROUGHPUT_RULE)).append("</p>\n<ul id=\"throughput-comparison\">\n");
        speeds.forEach(t -> h.append("<li>").append(esc(t.describe())).append("</li>\n"));
        h.append("</ul>\n");
    }

    private void scalingSection(StringBuilder h) {
        h.append("<h2>Scaling</h2>\n<p class=\"note\">").append(esc(ScalingSection.RULES)).append("</p>\n");
        for (ScalingSection.Line line : scaling().lines()) {
            h.append(line.fitted() ? "<p>" : "<p class=\"note\">").append(esc(line.text())).append("</p>\n");
            if (line.fitted()) {
                figure(h, line.svg());
            }
        }
    }

    private record Row(List<String> cells, String verdictClass) {}

    private List<Row> rows() {
        Map<String, Comparison> byName = new LinkedHashMap<>();
        comparisons().forEach(c -> byName.put(c.variant(), c));
        Variant base = study.baseVariant();
        List<Row> rows = new ArrayList<>();
        for (Variant v : study.variants()) {
            List<String> cells = new ArrayList<>();
            cells.add(v.name());
            if (v.evaluated()) {
                cells.add(pct(v.last().average()));
                cells.add(v.last().averageStderr().isPresent() ? pct(v.last().averageStderr().getAsDouble()) : "");
            } else {
                cells.add("");
                cells.add("");
            }
            Comparison c = byName.get(v.name());
            String cls = "";
            if (v == base) {
                cells.add("base");
                cells.add("");
            } else if (c != null) {
                cells.add(String.format(Locale.ROOT, "%+.2f ± %.2f", 100 * c.delta(), 100 * c.stderr()));
                cells.add(c.verdict());
                cls = c.significant() ? (c.delta() > 0 ? "better" : "worse") : "";
            } else {
                cells.add("");
                cells.add("");
            }
            cells.add(Double.isNaN(v.finalValidationLoss()) ? "" : String.format(Locale.ROOT, "%.4f", v.finalValidationLoss()));
            cells.add(v.speed().known() ? ThroughputComparison.rate(v.speed()) : "");
            cells.add(Double.isNaN(v.mfu()) ? "" : String.format(Locale.ROOT, "%.1f%%", 100 * v.mfu()));
            cells.add(v.evaluated() && !Double.isNaN(v.last().tokens()) ? String.format(Locale.ROOT, "%.4g", v.last().tokens()) : "");
            rows.add(new Row(cells, cls));
        }
        return rows;
    }

    private List<Variant> evaluated() {
        return study.variants().stream().filter(Variant::evaluated).toList();
    }

    private List<String> allTasks() {
        TreeSet<String> tasks = new TreeSet<>();
        evaluated().forEach(v -> tasks.addAll(v.last().tasks().keySet()));
        return List.copyOf(tasks);
    }

    private String taskCountNote() {
        TreeSet<Integer> counts = new TreeSet<>();
        evaluated().forEach(v -> counts.add(v.last().tasks().size()));
        return counts.isEmpty() ? "no evaluations" : counts.size() == 1 ? counts.first() + " tasks, %" : counts + " tasks, %";
    }

    private String skippedNote() {
        Map<String, String> skipped = new java.util.TreeMap<>();
        evaluated().forEach(v -> skipped.putAll(v.last().skipped()));
        if (skipped.isEmpty()) {
            return "Every task reports acc.";
        }
        List<String> parts = new ArrayList<>();
        skipped.forEach((t, m) -> parts.add(t + " (" + m + ")"));
        return "Averages are over the tasks that report acc; left out: " + String.join(", ", parts) + ".";
    }

    private static void figure(StringBuilder h, String svg) {
        h.append("<figure>\n").append(svg).append("\n</figure>\n");
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f", 100 * v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
