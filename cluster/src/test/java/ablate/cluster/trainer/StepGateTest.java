package ablate.cluster.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.trainer.parallel.AllReduceException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StepGateTest {
    @Test
    void aStepWaitsForItsCommitAndACommitThatCameFirstLetsItThrough() throws Exception {
        List<Long> announced = new CopyOnWriteArrayList<>();
        StepGate gate = new StepGate(announced::add, Duration.ofSeconds(10));
        CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> gate.await(5));
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        gate.commit(5);
        waiting.get(5, TimeUnit.SECONDS);
        gate.commit(6); // a commit ahead of the rank (it was slow to get there): no wait
        gate.await(6);
        assertThat(announced).containsExactly(5L, 6L);
    }

    @Test
    void aHaltInterruptsTheWaitAndTheStepIsNotApplied() throws Exception {
        StepGate gate = new StepGate(step -> {}, Duration.ofSeconds(30));
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread djl = Thread.ofPlatform().start(() -> {
            try {
                gate.await(3);
                failure.complete(null);
            } catch (AllReduceException e) {
                failure.complete(e);
            }
        });
        Thread.sleep(100);
        djl.interrupt();
        assertThat(failure.get(5, TimeUnit.SECONDS)).isInstanceOf(AllReduceException.class).hasMessageContaining("halted before step 3");
        assertThatThrownBy(() -> new StepGate(step -> {}, Duration.ofMillis(50)).await(1))
                .isInstanceOf(AllReduceException.class).hasMessageContaining("not committed");
    }
}
