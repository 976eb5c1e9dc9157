package ablate.trainer.parallel;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FixedPointGridTest {
    /** Quantizes like StepGradients does (float32 multiply by a power of two, round half to even). */
    private static long quantize(float g, FixedPointGrid grid, int t) {
        return (long) Math.rint(g * grid.scale(t));
    }

    @Test
    void theGridHoldsTheLargestGradientWithGrowthAndSumHeadroom() {
        float[] maxAbs = {3.0f, 1e-3f, 0f, 7e5f};
        FixedPointGrid grid = FixedPointGrid.fitting(maxAbs, 16, null);
        assertThat(grid.fits(maxAbs, 16)).isTrue();
        float[] grown = maxAbs.clone();
        grown[1] *= 65535; // just under the 16 bits of headroom
        assertThat(grid.fits(grown, 16)).isTrue();
        grown[1] *= 4;
        assertThat(grid.fits(grown, 16)).as("a gradient that grew 2^18-fold").isFalse();
        assertThat(grid.exponents()[2]).as("an all-zero tensor gets the finest step").isEqualTo(FixedPointGrid.MIN_EXPONENT);
        assertThat(grid.fits(new float[] {3f, 1e-3f, Float.NaN, 7e5f}, 16)).isFalse();
        assertThat(grid.fits(new float[] {3f, 1e-3f, Float.POSITIVE_INFINITY, 7e5f}, 16)).isFalse();
        // 3.0 < 2^2: 62 - 4 (16 micro-batches) - 16 = 42 bits below 2^2
        assertThat(grid.exponents()[0]).isEqualTo(2 - 42);
        assertThat(quantize(3.0f, grid, 0)).isLessThan(1L << (62 - 4));
    }

    @Test
    void wideningFitsTheMicroBatchesThatDidNotFitAndNeverMakesTheGridFiner() {
        FixedPointGrid grid = new FixedPointGrid(new int[] {-40, -30});
        // tensor 0 outgrew its grid, tensor 1 of the same micro-batch is tiny
        FixedPointGrid widened = grid.widened(new float[] {1e6f, 1e-9f}, 4);
        assertThat(widened.exponents()[0]).isGreaterThan(-40);
        assertThat(widened.fits(new float[] {1e6f, 1e-9f}, 4)).isTrue();
        assertThat(widened.exponents()[1]).as("not finer: other micro-batches fitted -30").isEqualTo(-30);
        assertThat(TrainingStateGrid.none().widened(new float[] {1f, 2f}, 4)).isEqualTo(FixedPointGrid.fitting(new float[] {1f, 2f}, 4, null));
        assertThat(grid.limit(4)).isEqualTo(Math.scalb(1f, 60));
    }

    /** No grid yet, as a new run's state has. */
    private static final class TrainingStateGrid {
        static FixedPointGrid none() {
            return new FixedPointGrid(new int[0]);
        }
    }

    @Test
    void aZeroTensorKeepsThePreviousStep() {
        FixedPointGrid previous = new FixedPointGrid(new int[] {-40, -50});
        assertThat(FixedPointGrid.fitting(new float[] {1f, 0f}, 1, previous).exponents()[1]).isEqualTo(-50);
    }

    /**
     * The property exact reduction rests on: however the micro-batches are split among ranks and in
     * whatever order they are added, the integer sums, and the floats decoded from them, are the
     * same bits; and they are within the documented bound of the exact real sum.
     */
    @Test
    void sumsDoNotDependOnHowMicroBatchesAreSplitOrOrdered() {
        Random random = new Random(7);
        int micro = 12;
        int[] sizes = {5, 1, 300};
        long[] offsets = {0, 5, 6, 306};
        int n = 306;
        float[][] g = new float[micro][n];
        float[] maxAbs = new float[sizes.length];
        for (int m = 0; m < micro; m++) {
            for (int i = 0; i < n; i++) {
                int t = i < 5 ? 0 : i < 6 ? 1 : 2;
                double magnitude = t == 0 ? 1e-2 : t == 1 ? 50 : 1e-6;
                g[m][i] = (float) (random.nextGaussian() * magnitude * Math.exp(random.nextGaussian()));
                maxAbs[t] = Math.max(maxAbs[t], Math.abs(g[m][i]));
            }
        }
        FixedPointGrid grid = FixedPointGrid.fitting(maxAbs, micro, null);
        float[] reference = null;
        for (int trial = 0; trial < 20; trial++) {
            List<Integer> order = new ArrayList<>();
            for (int m = 0; m < micro; m++) {
                order.add(m);
            }
            Collections.shuffle(order, random);
            int ranks = 1 + trial % 5;
            long[] total = new long[n];
            for (int r = 0; r < ranks; r++) {
                MicroBatchRange share = MicroBatchRange.of(r, ranks, micro);
                long[] partial = new long[n];
                for (int k = share.start(); k < share.end(); k++) {
                    float[] values = g[order.get(k)];
                    for (int i = 0; i < n; i++) {
                        int t = i < 5 ? 0 : i < 6 ? 1 : 2;
                        partial[i] += quantize(values[i], grid, t);
                    }
                }
                for (int i = 0; i < n; i++) {
                    total[i] += partial[i];
                }
            }
            FloatBuffer out = FloatBuffer.allocate(n);
            grid.decode(offsets, LongBuffer.wrap(total), out, 0, n);
            if (reference == null) {
                reference = out.array().clone();
            }
            assertThat(out.array()).as("trial %d, %d ranks", trial, ranks).containsExactly(reference);
        }
        for (int i = 0; i < n; i++) {
            int t = i < 5 ? 0 : i < 6 ? 1 : 2;
            BigDecimal exact = BigDecimal.ZERO;
            for (int m = 0; m < micro; m++) {
                exact = exact.add(new BigDecimal(g[m][i]));
            }
            double step = Math.scalb(1.0, grid.exponents()[t]);
            double bound = micro * step / 2 + Math.ulp((float) exact.doubleValue());
            assertThat(Math.abs(exact.subtract(new BigDecimal(reference[i]), MathContext.DECIMAL128).doubleValue()))
                    .as("element %d", i).isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void decodingAChunkEqualsDecodingTheWhole() {
        FixedPointGrid grid = new FixedPointGrid(new int[] {-10, -3, -20});
        long[] offsets = {0, 4, 5, 9};
        long[] sums = {1, -2, 3, 1024, 7, 1 << 20, -(1 << 20), 5, 6};
        FloatBuffer whole = FloatBuffer.allocate(9);
        grid.decode(offsets, LongBuffer.wrap(sums), whole, 0, 9);
        FloatBuffer chunks = FloatBuffer.allocate(9);
        grid.decode(offsets, LongBuffer.wrap(sums), chunks, 0, 3);
        grid.decode(offsets, LongBuffer.wrap(sums), chunks, 3, 5);
        grid.decode(offsets, LongBuffer.wrap(sums), chunks, 5, 9);
        assertThat(chunks.array()).containsExactly(whole.array());
        assertThat(whole.get(3)).isEqualTo(1f); // 1024 x 2^-10
        assertThat(whole.get(4)).isEqualTo(7f / 8);
        assertThat(whole.get(5)).isEqualTo(1f);
    }
}
