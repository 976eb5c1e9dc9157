import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.run.StepMetrics;
import ablate.trainer.run.Trainer;
import ablate.trainer.run.TrainingData;
import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Trains the same short run REPS times in one JVM and compares, step by step, the loss, gradient
 * norm, fixed-point grid and digests of the summed gradient and of the weights: any difference
 * is a determinism bug. Run it with a small heap (see run) so that the garbage collector is busy.
 * Usage: java ... Probe.java REPS [--set key=value]...
 */
public class Probe {
    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        int reps = Integer.parseInt(args[0]);
        List<String> overrides = new ArrayList<>(List.of("train.steps=12", "train.threads=1", "train.micro-batch-size=4",
                "model.dropout=0.1", "model.attention-mask=prefix", "data.builtin.train-documents=2000"));
        for (int i = 1; i + 1 < args.length; i += 2) {
            overrides.add(args[i + 1]);
        }
        RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", overrides.toArray(String[]::new)));
        List<String> first = null;
        int differing = 0;
        for (int r = 0; r < reps; r++) {
            List<String> trace = new ArrayList<>();
            try (TrainingData data = TrainingData.open(config.data(), config.train().seed(), Path.of(""));
                    Trainer t = new Trainer(config, data)) {
                for (int s = 0; s < config.train().steps(); s++) {
                    StepMetrics m = t.step();
                    trace.add("step " + m.step() + " loss=" + m.loss() + " norm=" + m.gradNorm() + " grid=" + t.state().grid()
                            + " gradients=" + digest(t.gradients().values()) + " weights=" + digest(t.model().parameters().all().values()));
                }
            }
            if (first == null) {
                first = trace;
            } else if (!first.equals(trace)) {
                differing++;
                for (int i = 0; i < trace.size(); i++) {
                    if (!trace.get(i).equals(first.get(i))) {
                        System.out.println("repetition " + r + " differs first at\n  " + trace.get(i) + "\n  " + first.get(i));
                        break;
                    }
                }
            }
        }
        System.out.println(reps + " repetitions, " + differing + " differing from the first");
        System.exit(differing == 0 ? 0 : 1);
    }

    private static long digest(Collection<NDArray> arrays) {
        long h = 1469598103934665603L;
        for (NDArray a : arrays) {
            for (byte b : a.toByteArray()) {
                h = (h ^ b) * 1099511628211L;
            }
        }
        return h;
    }
}
