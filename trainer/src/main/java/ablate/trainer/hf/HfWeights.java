package ablate.trainer.hf;

import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.trainer.checkpoint.Safetensors;
import ablate.trainer.model.LanguageModel;
import ablate.trainer.model.ModelSize;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Copies weights between a {@link LanguageModel} and a Hugging Face checkpoint of the {@link Architecture} that expresses it. */
final class HfWeights {
    private HfWeights() {}

    /**
     * Fails, before anything is allocated, unless the checkpoint holds every tensor a model of
     * {@code m} has, each of the shape {@code m} implies, and nothing else but buffers (and an
     * {@code lm_head.weight} a tied model ignores). The errors name the file and the tensor.
     */
    static void check(Architecture arch, HfCheckpoint checkpoint, ModelConfig m, Path dir) {
        Map<String, Shape> expected = new ModelSize(m).shapes();
        Set<String> used = new HashSet<>();
        for (HfWeight w : arch.weights(m, expected.keySet())) {
            List<long[]> shapes = w.hfShapes(expected.get(w.ablateName()).getShape(), qkvRows(m));
            for (int i = 0; i < w.hfNames().size(); i++) {
                String name = w.hfNames().get(i);
                String found = checkpoint.find(name, arch).orElseThrow(() -> new IllegalArgumentException(dir + " has no tensor "
                        + name + ", which a " + arch.modelType + " model with this config.json needs"));
                used.add(found);
                long[] stored = checkpoint.shape(found);
                if (!Arrays.equals(stored, shapes.get(i))) {
                    throw new IllegalArgumentException(dir.resolve(checkpoint.fileName(found)) + ": " + found + " has shape "
                            + new Shape(stored) + " where config.json implies " + new Shape(shapes.get(i)));
                }
            }
        }
        for (String name : checkpoint.names()) {
            boolean tiedHead = m.tiedOutput() && name.equals("lm_head.weight");
            if (!used.contains(name) && !Architecture.isBuffer(name) && !tiedHead) {
                throw new IllegalArgumentException(dir.resolve(checkpoint.fileName(name)) + " holds " + name + ", which a "
                        + arch.modelType + " model with this config.json does not have");
            }
        }
    }

    /** Fills every weight of {@code model} from a checkpoint that passed {@link #check}. */
    static void load(Architecture arch, HfCheckpoint checkpoint, LanguageModel model) throws IOException {
        ModelConfig m = model.config();
        Map<String, NDArray> params = model.parameters().all();
        for (HfWeight w : arch.weights(m, params.keySet())) {
            NDArray target = params.get(w.ablateName());
            List<float[]> parts = new ArrayList<>();
            for (String name : w.hfNames()) {
                parts.add(checkpoint.read(checkpoint.find(name, arch).orElseThrow()));
            }
            Torch.copyInto(target, w.toAblate(parts, target.getShape().getShape(), m.heads())); // into its own storage
        }
    }

    /** Writes the weights of {@code model} under Hugging Face names and layouts, fp32. */
    static void export(Architecture arch, LanguageModel model, Path file) throws IOException {
        ModelConfig m = model.config();
        Map<String, NDArray> params = model.parameters().all();
        int[] qkvRows = qkvRows(m);
        try (NDManager scratch = NDManager.newBaseManager()) {
            Map<String, NDArray> out = new TreeMap<>();
            for (HfWeight w : arch.weights(m, params.keySet())) {
                NDArray a = params.get(w.ablateName());
                for (HfWeight.Tensor t : w.toHf(a.toFloatArray(), a.getShape().getShape(), m.heads(), qkvRows)) {
                    out.put(t.name(), scratch.create(t.values(), new Shape(t.shape())));
                }
            }
            if (arch == Architecture.T5 && m.position() == Position.NONE) { // T5 always has its relative bias: zero adds nothing
                for (String stack : new String[] {"encoder", "decoder"}) {
                    out.put(Architecture.t5RelativeBias(stack), scratch.zeros(new Shape(m.relativeBuckets(), m.heads())));
                }
            }
            Safetensors.write(file, out, Map.of("format", "pt"));
        }
    }

    /** Rows of q, k and v: query heads and key/value heads times the head size. */
    private static int[] qkvRows(ModelConfig m) {
        int hs = m.headDim();
        return new int[] {m.heads() * hs, m.keyValueHeads() * hs, m.keyValueHeads() * hs};
    }
}
