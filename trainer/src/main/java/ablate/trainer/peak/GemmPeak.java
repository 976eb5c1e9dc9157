package ablate.trainer.peak;

import ablate.conf.Precision;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The dense matmul throughput of a device, measured: the peak that MFU means on a machine whose
 * vendor figure is unknown (a CPU) or not what this libtorch reaches. A square product of
 * {@code size} counts 2 x size³ FLOPs, as the model's FLOPs per token count a multiply-add.
 *
 * @param tflops median over the timed runs, TFLOP/s
 * @param minTflops slowest run
 * @param maxTflops fastest run
 * @param runs timed runs (each one or more products, at least ~20 ms long)
 * @param size n of the n x n x n product
 * @param measuredAt when
 */
public record GemmPeak(double tflops, double minTflops, double maxTflops, int runs, int size, Instant measuredAt) {
    public GemmPeak {
        if (!(tflops > 0 && Double.isFinite(tflops) && minTflops <= tflops && tflops <= maxTflops)) {
            throw new IllegalArgumentException("a peak needs 0 < min <= median <= max TFLOP/s, got " + minTflops + " <= " + tflops
                    + " <= " + maxTflops);
        }
        if (runs <= 0 || size <= 0) {
            throw new IllegalArgumentException("runs and size must be positive, got " + runs + " and " + size);
        }
    }

    /** Shortest timed run: a GPU's product of a small matrix is over in microseconds, too short to time alone. */
    private static final double RUN_SECONDS = 0.02;
    private static final int MIN_RUNS = 3;

    /**
     * Times {@code size} x {@code size} products on {@code device} (threads as already set with
     * {@code Torch.configureThreads}): two untimed products (allocation, MKL/cuBLAS setup), then runs
     * of as many products as take {@link #RUN_SECONDS}, repeated for {@code duration} and at least
     * {@link #MIN_RUNS} times. The median resists a run slowed by another process.
     */
    public static GemmPeak measure(Device device, Precision dtype, int size, Duration duration, Clock clock) {
        if (size <= 0 || duration.isNegative()) {
            throw new IllegalArgumentException("size must be positive and the duration not negative, got " + size + " and " + duration);
        }
        DataType type = dtype == Precision.FP16 ? DataType.FLOAT16 : DataType.FLOAT32;
        double flops = 2.0 * size * size * size;
        try (NDManager manager = NDManager.newBaseManager(device)) {
            NDArray a = manager.randomNormal(new Shape(size, size)).toType(type, false);
            NDArray b = manager.randomNormal(new Shape(size, size)).toType(type, false);
            timedSeconds(a, b, 2);
            int products = (int) Math.max(1, Math.ceil(RUN_SECONDS / timedSeconds(a, b, 1)));
            List<Double> tflops = new ArrayList<>();
            long end = System.nanoTime() + duration.toNanos();
            while (tflops.size() < MIN_RUNS || System.nanoTime() < end) {
                tflops.add(flops * products / timedSeconds(a, b, products) / 1e12);
            }
            double[] sorted = tflops.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return new GemmPeak(median(sorted), sorted[0], sorted[sorted.length - 1], sorted.length, size, clock.instant());
        }
    }

    /** Seconds for {@code products} products, the device synchronized by reading one element of the last. */
    private static double timedSeconds(NDArray a, NDArray b, int products) {
        long start = System.nanoTime();
        NDArray c = a.matMul(b);
        for (int i = 1; i < products; i++) {
            c.close();
            c = a.matMul(b);
        }
        try (NDArray corner = c.get(0, 0)) {
            corner.toType(DataType.FLOAT32, false).getFloat(); // waits for a GPU's queue
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        c.close();
        return seconds;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** "median of 12 runs of 2048x2048x2048, spread 0.098-0.107" */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "median of %d runs of %dx%dx%d, spread %.3g-%.3g", runs, size, size, size,
                minTflops, maxTflops);
    }
}
