package ablate.cluster.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import ablate.cluster.node.TrainingSettings;
import ablate.cluster.protocol.TrainingProtocol.Commit;
import ablate.cluster.protocol.TrainingProtocol.Connect;
import ablate.cluster.protocol.TrainingProtocol.Connected;
import ablate.cluster.protocol.TrainingProtocol.Grant;
import ablate.cluster.protocol.TrainingProtocol.GroupId;
import ablate.cluster.protocol.TrainingProtocol.Halt;
import ablate.cluster.protocol.TrainingProtocol.Halted;
import ablate.cluster.protocol.TrainingProtocol.Prepare;
import ablate.cluster.protocol.TrainingProtocol.Prepared;
import ablate.cluster.protocol.TrainingProtocol.Reduced;
import ablate.cluster.protocol.TrainingProtocol.Regroup;
import ablate.cluster.protocol.TrainingProtocol.Release;
import ablate.cluster.protocol.TrainingProtocol.StepDone;
import ablate.cluster.protocol.TrainingProtocol.StepReport;
import ablate.cluster.protocol.TrainingProtocol.ToSupervisor;
import ablate.cluster.protocol.TrainingProtocol.ToTrainer;
import ablate.cluster.protocol.TrainingProtocol.TrainerFailed;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.run.LoopPolicy;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor's decisions with probes for trainers and coordinator: what a straggler, a step
 * past its deadline and replicas that disagree lead to. The real trainers are in the cluster tests.
 */
class RunSupervisorTest {
    private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local"));
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final GroupId GROUP = new GroupId("probe", 1);

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    /** A supervised group of probes, prepared (and connected when asked) with the given digests. */
    private final class Group {
        final List<TestProbe<ToTrainer>> trainers = new ArrayList<>();
        final TestProbe<Coordinator.Command> coordinator = KIT.createTestProbe();
        final List<ActorRef<ToSupervisor>> supervisor = new ArrayList<>();

        Group(int ranks, String settings) throws Exception {
            RunConfig config = Settings.load(Settings.Sources.ofPreset("debug", "train.steps=50", "checkpoint.interval=1000"));
            List<RunSupervisor.Member> members = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                TestProbe<ToTrainer> t = KIT.createTestProbe();
                trainers.add(t);
                members.add(new RunSupervisor.Member(t.getRef(), "node-" + r));
            }
            RunSupervisor.Plan plan = new RunSupervisor.Plan(GROUP, config.render(), new LoopPolicy(config), 50, 0, dir, ranks);
            KIT.spawn(RunSupervisor.create(plan, members, TrainingSettings.from(ConfigFactory.parseString(settings)),
                    coordinator.getRef()));
            for (TestProbe<ToTrainer> t : trainers) {
                supervisor.add(t.expectMessageClass(Prepare.class, WAIT).replyTo());
            }
        }

        void prepared(long... digests) {
            for (int r = 0; r < digests.length; r++) {
                supervisor.get(r).tell(new Prepared(GROUP, r, "127.0.0.1:" + (1000 + r), "cpu", new byte[0], 0, digests[r]));
            }
        }

        void connect() {
            prepared(IntStream.range(0, trainers.size()).mapToLong(r -> 7).toArray());
            for (int r = 0; r < trainers.size(); r++) {
                assertThat(trainers.get(r).expectMessageClass(Connect.class, WAIT).ring()).hasSize(trainers.size());
                supervisor.get(r).tell(new Connected(GROUP, r));
            }
        }

        void step(int rank, long step, double computePerMicroBatch) {
            supervisor.get(rank).tell(new StepDone(GROUP, rank, new StepReport(step, 2.5, 1e-3, 1.0, 1000, 0, Double.NaN, false, 0.1,
                    computePerMicroBatch)));
        }

        /** The next order of {@code type} to rank {@code rank}, skipping grants. */
        <T extends ToTrainer> T order(int rank, Class<T> type) {
            ToTrainer got = trainers.get(rank).fishForMessage(WAIT, "a " + type.getSimpleName(),
                    m -> type.isInstance(m) ? FishingOutcomes.complete()
                            : m instanceof Grant ? FishingOutcomes.continueAndIgnore()
                                    : FishingOutcomes.fail("unexpected " + m)).getLast();
            return type.cast(got);
        }

        /** The next message of {@code type} to the coordinator, skipping progress reports. */
        <T extends Coordinator.Command> T told(Class<T> type) {
            Coordinator.Command got = coordinator.fishForMessage(WAIT, "a " + type.getSimpleName(),
                    m -> type.isInstance(m) ? FishingOutcomes.complete()
                            : FishingOutcomes.continueAndIgnore()).getLast();
            return type.cast(got);
        }
    }

    @Test
    void replicasThatDisagreeBeforeTrainingEndTheGroupAsBrokenNamingTheRank() throws Exception {
        Group g = new Group(3, "");
        g.prepared(7, 7, 8);
        Coordinator.GroupEnded ended = g.told(Coordinator.GroupEnded.class);
        assertThat(ended.outcome()).isEqualTo(RunSupervisor.Outcome.BROKEN);
        assertThat(ended.reason()).contains("rank 2 on node-2").contains("other weights or state");
        for (int r = 0; r < 3; r++) {
            g.order(r, Release.class);
        }
    }

    @Test
    void aStragglerIsReportedOnceAndLeftBehindWhenStragglersAreExcluded() throws Exception {
        Group g = new Group(3, "cluster.training { straggler-steps = 3, straggler-factor = 1.5, exclude-stragglers = on }");
        g.connect();
        for (long step = 1; step <= 3; step++) {
            g.step(0, step, 1.0);
            g.step(1, step, 1.1);
            g.step(2, step, 2.0); // 1.9x the others' median
        }
        Coordinator.Straggling straggling = g.told(Coordinator.Straggling.class);
        assertThat(straggling.rank()).isEqualTo(2);
        assertThat(straggling.node()).isEqualTo("node-2");
        assertThat(straggling.ratio()).isCloseTo(2.0 / 1.05, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(straggling.excluded()).isTrue();
        // the others are halted and go on from memory without it
        for (int r = 0; r < 2; r++) {
            g.order(r, Halt.class);
            g.supervisor.get(r).tell(new Halted(GROUP, r, 3, 7));
        }
        assertThat(g.order(2, Release.class).reason()).contains("straggler");
        Coordinator.Regrouped regrouped = g.told(Coordinator.Regrouped.class);
        assertThat(regrouped.nodes()).containsExactly("node-0", "node-1");
        assertThat(regrouped.step()).isEqualTo(3);
        for (int r = 0; r < 2; r++) {
            Regroup order = g.order(r, Regroup.class);
            assertThat(order.rank()).isEqualTo(r);
            assertThat(order.ranks()).isEqualTo(2);
        }
    }

    @Test
    void aStragglerIsOnlyReportedWhenStragglersAreNotExcluded() throws Exception {
        Group g = new Group(2, "cluster.training { straggler-steps = 2, straggler-factor = 1.5 }");
        g.connect();
        for (long step = 1; step <= 2; step++) {
            g.step(0, step, 1.0);
            g.step(1, step, 1.6);
        }
        Coordinator.Straggling straggling = g.told(Coordinator.Straggling.class);
        assertThat(straggling.rank()).isEqualTo(1);
        assertThat(straggling.excluded()).isFalse();
        g.step(0, 3, 1.0);
        g.step(1, 3, 1.0); // keeps pace again: the report is withdrawn
        assertThat(g.told(Coordinator.Straggling.class).ratio()).isNaN();
    }

    @Test
    void aStepIsCommittedToEveryRankOnceAllHoldItsSumAndNeverOnceTheGroupBroke() throws Exception {
        Group g = new Group(3, "");
        g.connect();
        for (int r = 0; r < 3; r++) {
            g.supervisor.get(r).tell(new Reduced(GROUP, r, 1));
        }
        for (int r = 0; r < 3; r++) {
            assertThat(g.order(r, Commit.class).step()).isEqualTo(1);
        }
        // step 2: ranks 1 and 2 hold the sum, rank 0 fails before it does; nobody may apply step 2
        g.supervisor.get(1).tell(new Reduced(GROUP, 1, 2));
        g.supervisor.get(2).tell(new Reduced(GROUP, 2, 2));
        g.supervisor.get(0).tell(new TrainerFailed(GROUP, 0, "node-0", "peer closed the connection", true));
        for (int r = 0; r < 3; r++) {
            g.order(r, Halt.class); // fishing fails on anything but grants before the halt: no commit came
        }
        g.supervisor.get(0).tell(new Reduced(GROUP, 0, 2)); // too late: halting
        for (int r = 0; r < 3; r++) {
            g.trainers.get(r).expectNoMessage(Duration.ofMillis(300));
        }
    }

    @Test
    void aStepPastItsDeadlineNamesTheRankThatDidNotArriveAndTheOthersGoOnWithoutIt() throws Exception {
        Group g = new Group(3, "cluster.training { step-timeout = 1s, halt-timeout = 1s }");
        g.connect();
        g.step(0, 1, 1.0);
        g.step(1, 1, 1.0); // rank 2 never reports step 1
        for (int r = 0; r < 3; r++) {
            g.order(r, Halt.class);
        }
        for (int r = 0; r < 2; r++) {
            g.supervisor.get(r).tell(new Halted(GROUP, r, 1, 7));
        }
        // rank 2 does not answer the halt either: left behind when the halt times out
        assertThat(g.order(2, Release.class).reason()).contains("rank 2 (node-2, at step 0)").doesNotContain("rank 0 (");
        Coordinator.Regrouped regrouped = g.told(Coordinator.Regrouped.class);
        assertThat(regrouped.reason()).contains("waited for step 1 from rank 2 (node-2, at step 0)");
        assertThat(regrouped.nodes()).containsExactly("node-0", "node-1");
        assertThat(regrouped.step()).isEqualTo(1);
    }
}
