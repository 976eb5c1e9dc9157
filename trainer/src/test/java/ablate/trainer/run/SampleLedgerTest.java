package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.trainer.parallel.MicroBatchRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleLedgerTest {
    @TempDir
    Path dir;

    private static StepMetrics step(long step, List<MicroBatchRange> shares) {
        return new StepMetrics(step, 1.0, 1e-3, 1.0, step * 64, step * 16, 0.1, new StepMetrics.Scaling(false, 1, false), shares, 0.05);
    }

    private static final List<MicroBatchRange> TWO_RANKS = List.of(new MicroBatchRange(0, 2), new MicroBatchRange(2, 4));

    @Test
    void aHistoryWithARestartAndARegroupIsClean() throws IOException {
        try (SampleLedger ledger = SampleLedger.open(dir)) {
            for (int s = 1; s <= 5; s++) {
                ledger.step(step(s, TWO_RANKS), 16, 4, "run#1");
            }
            ledger.restart(3, "group broke; from the checkpoint of step 3");
            for (int s = 4; s <= 6; s++) {
                ledger.step(step(s, List.of(new MicroBatchRange(0, 4))), 16, 4, "run#2");
            }
            ledger.regroup(6, "run#3", 3);
            ledger.step(step(7, List.of(new MicroBatchRange(0, 1), new MicroBatchRange(1, 2), new MicroBatchRange(2, 4))), 16, 4, "run#3");
        }
        SampleLedger.Verdict v = SampleLedger.check(dir.resolve(SampleLedger.FILE));
        assertThat(v.problem()).isEmpty();
        assertThat(v).isEqualTo(new SampleLedger.Verdict(7, 7 * 16, 1, 1, 2, ""));
    }

    @Test
    void aStepConsumedTwiceWithoutARestartIsCaught() throws IOException {
        write("{\"step\":1,\"first_sample\":0,\"samples\":16,\"micro_batch_size\":4,\"shares\":[[0,4]],\"group\":\"g\"}",
                "{\"step\":1,\"first_sample\":0,\"samples\":16,\"micro_batch_size\":4,\"shares\":[[0,4]],\"group\":\"g\"}");
        assertThat(SampleLedger.check(dir.resolve(SampleLedger.FILE)).problem())
                .contains("ledger.jsonl:2").contains("step 1 after step 1: consumed again without a restart");
    }

    @Test
    void skippedSamplesAndSharesThatDoNotTileAreCaught() throws IOException {
        write("{\"step\":1,\"first_sample\":16,\"samples\":16,\"micro_batch_size\":4,\"shares\":[[0,4]],\"group\":\"g\"}");
        assertThat(SampleLedger.check(dir.resolve(SampleLedger.FILE)).problem()).contains("starts at sample 16").contains("skipped");
        write("{\"step\":1,\"first_sample\":0,\"samples\":16,\"micro_batch_size\":4,\"shares\":[[0,2],[3,4]],\"group\":\"g\"}");
        assertThat(SampleLedger.check(dir.resolve(SampleLedger.FILE)).problem()).contains("do not tile");
        write("{\"step\":1,\"first_sample\":0,\"samples\":16,\"micro_batch_size\":4,\"shares\":[[0,3]],\"group\":\"g\"}");
        assertThat(SampleLedger.check(dir.resolve(SampleLedger.FILE)).problem()).contains("computed 3 of 4 micro-batches");
    }

    @Test
    void aRestartBeyondWhatStandsIsCaught() throws IOException {
        write("{\"step\":1,\"first_sample\":0,\"samples\":16,\"micro_batch_size\":4,\"shares\":[[0,4]],\"group\":\"g\"}",
                "{\"restart_from\":5,\"reason\":\"?\"}");
        assertThat(SampleLedger.check(dir.resolve(SampleLedger.FILE)).problem()).contains("restart from step 5 but only 1 steps stand");
    }

    private void write(String... lines) throws IOException {
        Files.write(dir.resolve(SampleLedger.FILE), List.of(lines));
    }
}
