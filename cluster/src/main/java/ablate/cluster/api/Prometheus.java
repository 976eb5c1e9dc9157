package ablate.cluster.api;

import ablate.cluster.coordinator.Views.NodeView;
import ablate.cluster.coordinator.Views.RunView;
import java.util.List;
import java.util.Locale;

/**
 * /metrics in Prometheus' text exposition format (version 0.0.4): per run its step, loss,
 * validation loss, tokens/s, MFU and state; per node whether it is up, its role, device and state,
 * and the time of its last heartbeat. Gauges only: the coordinator reports what is, and Prometheus
 * keeps the history.
 */
final class Prometheus {
    private Prometheus() {}

    static String text(List<RunView> runs, List<NodeView> nodes) {
        StringBuilder out = new StringBuilder();
        gauge(out, "ablate_run_step", "Steps the run has done.");
        runs.forEach(r -> sample(out, "ablate_run_step", runLabels(r), r.step()));
        gauge(out, "ablate_run_steps", "Steps the run trains in all.");
        runs.forEach(r -> sample(out, "ablate_run_steps", runLabels(r), r.steps()));
        gauge(out, "ablate_run_loss", "Training loss of the last step.");
        runs.forEach(r -> sample(out, "ablate_run_loss", runLabels(r), r.loss()));
        gauge(out, "ablate_run_val_loss", "Validation loss last measured.");
        runs.forEach(r -> sample(out, "ablate_run_val_loss", runLabels(r), r.valLoss()));
        gauge(out, "ablate_run_tokens_per_second", "Training tokens per second of the last step, over the run's trainers.");
        runs.forEach(r -> sample(out, "ablate_run_tokens_per_second", runLabels(r), r.tokensPerSecond()));
        gauge(out, "ablate_run_mfu", "Model FLOPs utilization of the last step (0-1), against the peak of every trainer's device.");
        runs.forEach(r -> sample(out, "ablate_run_mfu", runLabels(r), r.mfu()));
        gauge(out, "ablate_run_trainers", "Trainers the run is placed on.");
        runs.forEach(r -> sample(out, "ablate_run_trainers", runLabels(r), r.trainers()));
        gauge(out, "ablate_run_straggler", "A straggling trainer of the run: its compute per micro-batch over the other ranks' median.");
        runs.forEach(r -> r.stragglers().forEach((node, ratio) -> sample(out, "ablate_run_straggler",
                runLabels(r) + ",node=\"" + escape(node) + "\"", ratio)));
        gauge(out, "ablate_node_up", "1 for a node that answers heartbeats, 0 for one seen before that is gone.");
        nodes.forEach(n -> sample(out, "ablate_node_up", nodeLabels(n), n.reachable() ? 1 : 0));
        gauge(out, "ablate_node_last_heartbeat_seconds", "Unix time of the node's last heartbeat.");
        nodes.forEach(n -> sample(out, "ablate_node_last_heartbeat_seconds", nodeLabels(n), n.lastHeartbeat().toEpochMilli() / 1e3));
        return out.toString();
    }

    private static String runLabels(RunView r) {
        return "run=\"" + escape(r.name()) + "\",state=\"" + r.state().name().toLowerCase(Locale.ROOT) + "\"";
    }

    private static String nodeLabels(NodeView n) {
        return "node=\"" + escape(n.node()) + "\",role=\"" + escape(n.role()) + "\",device=\"" + escape(n.device())
                + "\",state=\"" + escape(n.state()) + "\"";
    }

    private static void gauge(StringBuilder out, String name, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n");
    }

    private static void sample(StringBuilder out, String name, String labels, double value) {
        out.append(name).append('{').append(labels).append("} ").append(format(value)).append('\n');
    }

    private static String format(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
