package ablate.trainer.model;

import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The named weights of a model, in creation order, owned by one manager. Initial values are drawn
 * in Java from a generator seeded by (seed, name), so a weight's initial value depends on nothing
 * but the seed and its name: not on creation order, the libtorch version or the device.
 */
public final class Parameters implements AutoCloseable {
    /** How a weight starts. */
    public sealed interface Init {
        record Normal(double std) implements Init {}

        record Constant(float value) implements Init {}
    }

    private final NDManager manager;
    private final long seed;
    private final boolean materialize;
    private final DataType dataType;
    private final Map<String, NDArray> weights = new LinkedHashMap<>();

    /**
     * @param materialize false allocates zeros without drawing initial values (for counting
     *     parameters of large shapes, or before loading a checkpoint)
     */
    public Parameters(NDManager manager, long seed, boolean materialize) {
        this(manager, seed, materialize, DataType.FLOAT32);
    }

    /**
     * @param dataType what the weights are stored and computed in: FLOAT32, or FLOAT16 for mixed
     *     precision (the fp32 initial values rounded; the optimizer keeps fp32 masters)
     */
    public Parameters(NDManager manager, long seed, boolean materialize, DataType dataType) {
        this.manager = manager;
        this.seed = seed;
        this.materialize = materialize;
        this.dataType = dataType;
    }

    /** Creates a trainable weight. */
    public NDArray create(String name, Shape shape, Init init) {
        if (weights.containsKey(name)) {
            throw new IllegalStateException("duplicate parameter " + name);
        }
        NDArray array = materialize ? initial(name, shape, init) : manager.zeros(shape, dataType);
        array.setName(name);
        array.setRequiresGradient(true);
        weights.put(name, array);
        return array;
    }

    public NDArray get(String name) {
        NDArray a = weights.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return a;
    }

    /** Weights by name, in creation order. */
    public Map<String, NDArray> all() {
        return Collections.unmodifiableMap(weights);
    }

    /** Number of scalar parameters. */
    public long count() {
        return weights.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /** Weight decay applies to matrices only, not to biases and LayerNorm gains (GPT-3, Megatron). */
    public static boolean decays(NDArray weight) {
        return weight.getShape().dimension() >= 2;
    }

    public NDManager manager() {
        return manager;
    }

    /** What the weights are stored and computed in. */
    public DataType dataType() {
        return dataType;
    }

    private NDArray initial(String name, Shape shape, Init init) {
        int n = Math.toIntExact(shape.size());
        float[] values = new float[n];
        switch (init) {
            case Init.Constant c -> java.util.Arrays.fill(values, c.value());
            case Init.Normal normal -> {
                SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode() * 0xC2B2AE3D27D4EB4FL);
                for (int i = 0; i < n; i += 2) {
                    // Box-Muller, written out so that the values never depend on the JDK's choice of algorithm.
                    double u1 = 1.0 - random.nextDouble();
                    double u2 = random.nextDouble();
                    double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * normal.std();
                    values[i] = (float) (r * StrictMath.cos(2 * Math.PI * u2));
                    if (i + 1 < n) {
                        values[i + 1] = (float) (r * StrictMath.sin(2 * Math.PI * u2));
                    }
                }
            }
        }
        NDArray fp32 = Torch.owned(manager.create(values, shape)); // aligned: see Torch.owned
        if (dataType == DataType.FLOAT32) {
            return fp32;
        }
        NDArray cast = fp32.toType(dataType, false);
        fp32.close();
        return cast;
    }

    @Override
    public void close() {
        weights.values().forEach(NDArray::close);
        weights.clear();
    }
}
