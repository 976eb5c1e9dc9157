package ablate.trainer.hf;

import ablate.conf.ModelConfig;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.model.Gpt;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Copies weights between a {@link Gpt} and a Hugging Face checkpoint of one {@link Architecture}. */
final class HfWeights {
    private HfWeights() {}

    /** Fills every weight of {@code gpt}; a missing, misshapen or unexpected tensor fails naming it. */
    static void load(Architecture arch, HfCheckpoint checkpoint, Gpt gpt, Path dir) throws IOException {
        ModelConfig m = gpt.config();
        Map<String, NDArray> params = gpt.parameters().all();
        Set<String> used = new HashSet<>();
        for (HfWeight w : arch.weights(m, params.keySet())) {
            NDArray target = params.get(w.ablateName());
            List<float[]> parts = new ArrayList<>();
            long expected = 0;
            for (String name : w.hfNames()) {
                String found = resolve(checkpoint, name, arch, dir);
                used.add(found);
                expected += size(checkpoint.shape(found));
                parts.add(checkpoint.read(found));
            }
            long[] shape = target.getShape().getShape();
            if (expected != target.getShape().size() || !shapeFits(w, checkpoint, arch, dir, shape)) {
                throw new IllegalArgumentException(dir + ": " + w.hfNames() + " have shape(s) " + shapes(w, checkpoint, arch, dir)
                        + " where config.json implies " + target.getShape() + " for " + w.ablateName());
            }
            Torch.copyInto(target, w.toAblate(parts, shape, m.heads())); // into its own storage
        }
        for (String name : checkpoint.names()) {
            boolean tiedHead = m.tiedOutput() && name.equals("lm_head.weight");
            if (!used.contains(name) && !Architecture.isBuffer(name) && !tiedHead) {
                throw new IllegalArgumentException(dir + " holds " + name + ", which a " + arch.modelType
                        + " model with this config.json does not have");
            }
        }
    }

    /** Writes the weights of {@code gpt} under Hugging Face names and layouts, fp32. */
    static void export(Architecture arch, Gpt gpt, Path file) throws IOException {
        ModelConfig m = gpt.config();
        Map<String, NDArray> params = gpt.parameters().all();
        int hs = m.headDim();
        int[] qkvRows = {m.heads() * hs, m.keyValueHeads() * hs, m.keyValueHeads() * hs};
        try (NDManager scratch = NDManager.newBaseManager()) {
            Map<String, NDArray> out = new TreeMap<>();
            for (HfWeight w : arch.weights(m, params.keySet())) {
                NDArray a = params.get(w.ablateName());
                for (HfWeight.Tensor t : w.toHf(a.toFloatArray(), a.getShape().getShape(), m.heads(), qkvRows)) {
                    out.put(t.name(), scratch.create(t.values(), new Shape(t.shape())));
                }
            }
            Safetensors.write(file, out, Map.of("format", "pt"));
        }
    }

    /** The name as stored: with the base model's prefix, or without it (checkpoints saved from the base model). */
    private static String resolve(HfCheckpoint checkpoint, String name, Architecture arch, Path dir) {
        if (checkpoint.has(name)) {
            return name;
        }
        if (name.startsWith(arch.prefix) && checkpoint.has(name.substring(arch.prefix.length()))) {
            return name.substring(arch.prefix.length());
        }
        throw new IllegalArgumentException(dir + " has no tensor " + name + ", which a " + arch.modelType
                + " model with this config.json needs");
    }

    private static boolean shapeFits(HfWeight w, HfCheckpoint c, Architecture arch, Path dir, long[] ours) {
        long[] first = c.shape(resolve(c, w.hfNames().getFirst(), arch, dir));
        return switch (w.layout()) {
            case SAME, PER_HEAD_QKV -> java.util.Arrays.equals(first, ours);
            case TRANSPOSED -> ours.length == 1 ? java.util.Arrays.equals(first, ours)
                    : first.length == 2 && first[0] == ours[1] && first[1] == ours[0];
            case ROWS -> ours.length == 1 || (first.length == 2 && first[1] == ours[1]);
        };
    }

    private static String shapes(HfWeight w, HfCheckpoint c, Architecture arch, Path dir) {
        List<String> out = new ArrayList<>();
        for (String n : w.hfNames()) {
            out.add(new Shape(c.shape(resolve(c, n, arch, dir))).toString());
        }
        return String.join(", ", out);
    }

    private static long size(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
