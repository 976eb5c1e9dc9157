package ablate.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class AlibiTest {
    @Test
    void powerOfTwoHeadsGetTheGeometricSlopesOfThePaper() {
        // Press et al. 2022, section 3: for 8 heads, 1/2, 1/4, ..., 1/256.
        double[] s = Alibi.slopes(8);
        for (int i = 0; i < 8; i++) {
            assertThat(s[i]).isCloseTo(Math.pow(2, -(i + 1)), within(1e-15));
        }
        // 16 heads: 1/sqrt(2), 1/2, ..., 1/256.
        assertThat(Alibi.slopes(16)[0]).isCloseTo(Math.pow(2, -0.5), within(1e-15));
        assertThat(Alibi.slopes(16)[15]).isCloseTo(1.0 / 256, within(1e-15));
    }

    @Test
    void otherHeadCountsInterleaveTheSlopesOfTheNextPowerOfTwo() {
        // The official get_slopes(12): the 8 slopes of 8 heads, then slopes 0, 2, 4, 6 of 16 heads.
        double[] expected = {0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625,
            Math.pow(2, -0.5), Math.pow(2, -1.5), Math.pow(2, -2.5), Math.pow(2, -3.5)};
        assertThat(Alibi.slopes(12)).containsExactly(expected, within(1e-15));
        // BLOOM-176B's 112 heads: 64 of the 64-head sequence, then 48 of the 128-head one.
        double[] s112 = Alibi.slopes(112);
        assertThat(s112).hasSize(112);
        assertThat(s112[64]).isCloseTo(Math.pow(2, -8.0 / 128), within(1e-15));
        assertThat(s112[65]).isCloseTo(Math.pow(2, -8.0 * 3 / 128), within(1e-15));
    }

    @Test
    void biasPenalizesDistanceLinearlyPerHead() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray bias = Alibi.bias(m, 4, 5);
            float[] v = bias.toFloatArray();
            double[] slopes = Alibi.slopes(4);
            for (int h = 0; h < 4; h++) {
                for (int i = 0; i < 5; i++) {
                    for (int j = 0; j < 5; j++) {
                        assertThat((double) v[h * 25 + i * 5 + j]).isCloseTo(-slopes[h] * Math.abs(i - j), within(1e-6));
                    }
                }
            }
        }
    }
}
