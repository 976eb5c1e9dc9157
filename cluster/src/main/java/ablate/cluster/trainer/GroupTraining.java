package ablate.cluster.trainer;

import ablate.cluster.collective.Endpoint;
import ablate.cluster.collective.RingCollective;
import ablate.cluster.collective.TcpAllReduce;
import ablate.cluster.protocol.TrainingProtocol;
import ablate.cluster.protocol.TrainingProtocol.Prepare;
import ablate.cluster.protocol.TrainingProtocol.StepReport;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.trainer.checkpoint.Checkpoint;
import ablate.trainer.checkpoint.Checkpoints;
import ablate.trainer.model.AvailableMemory;
import ablate.trainer.model.ModelMemory;
import ablate.trainer.parallel.AllReduce;
import ablate.trainer.parallel.Nccl;
import ablate.trainer.parallel.NcclAllReduce;
import ablate.trainer.parallel.TorchShim;
import ablate.trainer.run.LoopPolicy;
import ablate.trainer.run.MetricsLog;
import ablate.trainer.run.RunDirectory;
import ablate.trainer.run.SampleLedger;
import ablate.trainer.run.StepMetrics;
import ablate.trainer.run.Torch;
import ablate.trainer.run.Trainer;
import ablate.trainer.run.TrainingData;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One trainer's part of a run's group: the model replica, its data, its end of the ring and, on
 * rank 0, the run folder's writer (metrics.jsonl and checkpoints). Every method runs on the node's
 * DJL thread ({@link ablate.cluster.node.DjlThread}); the actor only schedules them. The training math is all in
 * {@link Trainer} and {@link LoopPolicy}: this class wires them to the group.
 */
public final class GroupTraining implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupTraining.class);
    /**
     * Fault injection for the cluster's fault tests: "STEP:RANK" makes the trainer that is rank RANK
     * when it applies step STEP die on the spot (like SIGKILL, no shutdown hooks), after the update
     * and before rank 0 records the step; "STEP:RANK:metrics" after rank 0 wrote the step's
     * metrics line and before its ledger line. Unset (the default) injects nothing.
     */
    static final String HALT_ENV = "ABLATE_CHAOS_HALT_AFTER_STEP";
    private static final long[] HALT_AT = haltAt(System.getenv(HALT_ENV));

    private Prepare order;
    private final RunConfig config;
    private final LoopPolicy policy;
    private final TrainingData data;
    private final Trainer trainer;
    private final RunDirectory runDir;
    private RunWriter writer;
    private Endpoint endpoint;
    private AllReduce group = AllReduce.single();
    /** The last step this replica applied, with its validation loss once computed (NaN: not, or not due). */
    private record Applied(StepMetrics metrics, LoopPolicy.Throughput speed, double valLoss) {}

    private Applied last;
    /** Set on the DJL thread when the group connects, read by the actor's commits. */
    private volatile StepGate gate;

    /**
     * Where a trainer node keeps things and how it joins rings. {@code runLockWait}: how long rank 0
     * waits for a former cluster writer's lock on the run folder (cluster.training.run-lock-timeout).
     */
    public record Place(Path storage, Path dataDir, String device, String bindHost, Duration runLockWait) {}

    private GroupTraining(Prepare order, RunConfig config, TrainingData data, Trainer trainer, RunDirectory runDir, RunWriter writer,
            Endpoint endpoint) {
        this.order = order;
        this.config = config;
        this.policy = new LoopPolicy(config);
        this.data = data;
        this.trainer = trainer;
        this.runDir = runDir;
        this.writer = writer;
        this.endpoint = endpoint;
    }

    /**
     * Builds the replica for {@code order}: the run's config with this node's device, its data
     * (relative corpus paths under the node's data dir), the model restored from the committed
     * checkpoint, and a listening ring endpoint when the group has more than one rank.
     *
     * @throws ablate.conf.SettingsException or IllegalArgumentException when the run cannot train
     *     here (bad data path, a device this node lacks); IOException when its checkpoint is unreadable
     */
    static GroupTraining open(Prepare order, Place place) throws IOException {
        RunConfig config = Settings.parse(Settings.parseOverride("train.device = \"" + place.device() + "\"")
                .withFallback(Settings.parseText(new Settings.Text(order.group().run() + "/config.conf", order.config()))));
        Torch.device(config.train().device());
        // a replica holds the whole model: refused with the estimate rather than killed for memory
        ModelMemory.training(config).requireFits(AvailableMemory.here(config.train().device().equals("cpu")));
        RunDirectory runDir = new RunDirectory(place.storage().resolve(order.group().run()));
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            TrainingData data = TrainingData.open(config.data(), config.train().seed(), place.dataDir());
            opened.add(data);
            LoopPolicy.checkVocabulary(config, data);
            Trainer trainer = new Trainer(config, data);
            opened.add(trainer);
            List<String> metricsSoFar = List.of();
            if (order.resumeStep() > 0) {
                Checkpoint committed = committed(runDir, order.resumeStep());
                trainer.restore(committed);
                metricsSoFar = committed.metrics();
            }
            RunWriter writer = order.rank() == 0
                    ? RunWriter.open(runDir, config, order, metricsSoFar, true, place.runLockWait()) : RunWriter.NONE;
            opened.add(writer);
            // a group of one listens too: a socket is cheap, and every rank then answers Prepare alike
            Endpoint endpoint = RingCollective.listen(new InetSocketAddress(place.bindHost(), 0));
            return new GroupTraining(order, config, data, trainer, runDir, writer, endpoint);
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : opened.reversed()) {
                closeQuietly(c);
            }
            throw e;
        }
    }

    /** The checkpoint the coordinator committed, verified; never a newer one found on disk. */
    private static Checkpoint committed(RunDirectory runDir, long step) throws IOException {
        Checkpoint c = new Checkpoint(runDir.checkpoint(step), step);
        try {
            c.verify();
        } catch (IOException e) {
            throw new IOException("the committed checkpoint " + c.dir() + " does not verify: " + e.getMessage(), e);
        }
        return c;
    }

    /** The ring endpoint's address as host:port. */
    String ringAddress() {
        return endpoint.address().getHostString() + ":" + endpoint.address().getPort();
    }

    /**
     * On rank 0 of a CUDA device with NCCL installed, a fresh ncclUniqueId for the group (the
     * supervisor uses NCCL when every rank is on a GPU); empty otherwise.
     */
    byte[] ncclId() {
        if (order.rank() != 0 || order.ranks() == 1 || !config.train().device().startsWith("cuda")) {
            return new byte[0];
        }
        try {
            return Nccl.load().uniqueId();
        } catch (RuntimeException e) {
            log.warn("no NCCL on this GPU node ({}); the group uses the TCP ring through host memory", e.getMessage());
            return new byte[0];
        }
    }

    /**
     * Joins the group's collective: NCCL when {@code ncclId} is given (ncclCommInitRank blocks
     * until every rank joined; the supervisor's connect deadline fails the group when one never
     * does), else the TCP ring. A group of one needs neither.
     */
    void connect(List<String> ring, byte[] ncclId, Duration timeout, int blockBytes) {
        if (order.ranks() == 1) {
            return;
        }
        if (ncclId.length > 0) {
            closeQuietly(endpoint); // NCCL connects the ranks itself
            String device = config.train().device();
            int index = device.contains(":") ? Integer.parseInt(device.substring(device.indexOf(':') + 1)) : 0;
            group = gate(timeout).gating(NcclAllReduce.join(Nccl.load(), TorchShim.load(), ncclId,
                    new NcclAllReduce.Settings(order.rank(), order.ranks(), index, timeout)));
            return;
        }
        List<InetSocketAddress> addresses = ring.stream().map(GroupTraining::address).toList();
        RingCollective.Settings settings = new RingCollective.Settings(order.group().toString(), order.rank(), order.ranks(),
                timeout, blockBytes);
        group = gate(timeout).gating(new TcpAllReduce(RingCollective.join(endpoint, addresses, settings)));
    }

    /** A new commit gate for this group's steps: announced to the group's supervisor. */
    private StepGate gate(Duration timeout) {
        Prepare current = order;
        gate = new StepGate(step -> current.replyTo().tell(new TrainingProtocol.Reduced(current.group(), current.rank(), step)), timeout);
        return gate;
    }

    /** The supervisor committed the group's steps up to {@code step} (any thread). */
    void commit(long step) {
        StepGate g = gate;
        if (g != null) {
            g.commit(step);
        }
    }

    /** Steps done so far. */
    long step() {
        return trainer.state().step();
    }

    /** Where the replica stands after its group broke: the collective is dropped, the state kept. */
    record Standing(long step, long digest) {}

    /**
     * Drops the group's collective (its peers are gone or stopping) and reports the step and state
     * digest; the replica stays, ready for {@link #regroup}. A step that failed midway left the
     * state as it was: the update comes after the collective.
     */
    Standing halt() {
        closeQuietly(group);
        group = AllReduce.single();
        return standing();
    }

    /** The step the replica stands at and the digest of its weights, optimizer and state. */
    Standing standing() {
        return new Standing(trainer.state().step(), trainer.stateDigest());
    }

    /**
     * Carries the replica over into a new group as rank {@code next.rank()}: a new ring endpoint,
     * and, for rank 0, the run folder's writer (a new one reads metrics.jsonl back to the current
     * step; checkpoints after {@code committedStep} are set aside); the ledger records the regroup.
     */
    void regroup(Prepare next, long committedStep, GroupTraining.Place place) throws IOException {
        closeQuietly(group);
        group = AllReduce.single();
        closeQuietly(endpoint);
        endpoint = RingCollective.listen(new InetSocketAddress(place.bindHost(), 0));
        if (next.rank() == 0 && writer == RunWriter.NONE) {
            List<String> lines = metricsUpTo(step());
            writer = RunWriter.open(runDir, config, new Prepare(next.group(), next.config(), 0, next.ranks(), committedStep,
                    next.replyTo()), lines, false, place.runLockWait());
        } else if (next.rank() != 0 && writer != RunWriter.NONE) {
            closeQuietly(writer);
            writer = RunWriter.NONE;
        } else {
            writer.setAsideAfter(committedStep); // a checkpoint the broken group wrote but never committed
        }
        if (next.rank() == 0) {
            recordLastStepIfMissing();
        }
        writer.regroup(step(), next.group().toString(), next.ranks());
        order = next;
    }

    /**
     * The step the group applied last may have no line in metrics.jsonl, or in the ledger: the rank
     * 0 that writes them died between the commit and the writes, or between the two, or the group
     * broke in the step's validation pass (after the update). The new rank 0 writes what is missing
     * from its own replica, computing a due validation loss alone (the same bits as the group's: the
     * sums do not depend on the ranks). Each file is checked on its own: a ledger line written again
     * would read as the step's samples consumed twice.
     */
    private void recordLastStepIfMissing() throws IOException {
        if (last == null || last.metrics().step() != step()) {
            return;
        }
        if (writer.lines().size() == step() - 1) {
            double val = last.valLoss();
            if (policy.validatesAfter(step()) && Double.isNaN(val)) {
                val = trainer.validationLoss(AllReduce.single());
            }
            log.info("step {} has no metrics line yet (its writer died, or its validation broke); writing it from this replica",
                    step());
            writer.appendMetrics(last.metrics(), last.speed(), val);
        }
        if (writer.ledgerSteps() == step() - 1) {
            log.info("step {} has no ledger line yet (its writer died before writing it); writing it from this replica", step());
            writer.appendLedger(last.metrics(), order.group().toString());
        }
    }

    /** {step, rank, 0 (after the update) or 1 (after the metrics line)}; {-1, -1, -1} when unset. */
    private static long[] haltAt(String value) {
        if (value == null || value.isBlank()) {
            return new long[] {-1, -1, -1};
        }
        String[] parts = value.strip().split(":");
        try {
            if (parts.length > 3 || parts.length == 3 && !parts[2].equals("metrics")) {
                throw new IllegalArgumentException("a third part must be 'metrics'");
            }
            return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1]), parts.length == 3 ? 1 : 0};
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(HALT_ENV + " must be STEP:RANK or STEP:RANK:metrics, not '" + value + "'", e);
        }
    }

    private void haltIfInjected(long step, long point) {
        if (step == HALT_AT[0] && order.rank() == HALT_AT[1] && point == HALT_AT[2]) {
            log.warn("{}: dying at step {} as rank {} ({})", HALT_ENV, step, order.rank(),
                    point == 0 ? "right after applying it" : "between its metrics line and its ledger line");
            Runtime.getRuntime().halt(137);
        }
    }

    /** The first {@code steps} lines of the run's metrics.jsonl, as the dead writer left it. */
    private List<String> metricsUpTo(long steps) throws IOException {
        java.nio.file.Path file = runDir.path().resolve(MetricsLog.FILE);
        if (!java.nio.file.Files.exists(file)) {
            return List.of();
        }
        List<String> all = java.nio.file.Files.readAllLines(file);
        List<String> kept = new ArrayList<>();
        for (String line : all) {
            if (!line.isBlank() && kept.size() < steps) {
                kept.add(line);
            }
        }
        return kept;
    }

    /** One step with the group, the validation loss when it is due, rank 0's metrics line. */
    StepReport trainOne() throws IOException {
        StepMetrics m = trainer.step(group);
        haltIfInjected(m.step(), 0);
        policy.checkFinite(m);
        LoopPolicy.Throughput speed = policy.throughput(m, order.ranks());
        last = new Applied(m, speed, Double.NaN);
        double val = policy.validatesAfter(m.step()) ? trainer.validationLoss(group) : Double.NaN;
        last = new Applied(m, speed, val);
        writer.appendMetrics(m, speed, val);
        haltIfInjected(m.step(), 1);
        writer.appendLedger(m, order.group().toString());
        int own = m.shares().get(order.rank()).end() - m.shares().get(order.rank()).start();
        return new StepReport(m.step(), m.loss(), m.lr(), m.gradNorm(), speed.tokensPerSecond(), speed.mfu(), val,
                m.scaling().skipped(), m.seconds(), own == 0 ? Double.NaN : m.computeSeconds() / own);
    }

    /** Rank 0: writes the checkpoint of the step the group stands at; nothing is pruned until it is committed. */
    Path writeCheckpoint(long step) throws IOException {
        if (step() != step) {
            throw new IllegalStateException("asked for a checkpoint of step " + step + " but this trainer stands at step " + step());
        }
        return writer.checkpoint(trainer.checkpointContents(order.config(), writer.lines()));
    }

    /** Rank 0: deletes checkpoints beyond checkpoint.keep, now that the newest is committed. */
    void prune() throws IOException {
        writer.prune();
    }

    RunConfig config() {
        return config;
    }

    @Override
    public void close() {
        closeQuietly(group);
        closeQuietly(endpoint);
        closeQuietly(writer);
        closeQuietly(trainer);
        closeQuietly(data);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Rank 0 writes the run folder; the other ranks write nothing. */
    private interface RunWriter extends AutoCloseable {
        RunWriter NONE = new RunWriter() {};

        /**
         * Takes the run folder's lock, then opens its checkpoints, metrics and ledger for {@code order}.
         *
         * @param restart whether the run restarts from {@code order.resumeStep()} (a placement), or goes on from memory (a regroup)
         */
        static RunWriter open(RunDirectory runDir, RunConfig config, Prepare order, List<String> metricsSoFar, boolean restart,
                Duration lockWait) throws IOException {
            WriterClaim claim = WriterClaim.take(runDir.path(), order.group().toString(), lockWait);
            try {
                Checkpoints checkpoints = new Checkpoints(runDir.checkpoints(), config.checkpoint().keep());
                checkpoints.setAsideAfter(order.resumeStep());
                MetricsLog metrics = MetricsLog.open(runDir.path(), metricsSoFar);
                boolean history = java.nio.file.Files.exists(runDir.path().resolve(SampleLedger.FILE));
                SampleLedger ledger = SampleLedger.open(runDir.path());
                if (restart && (history || order.resumeStep() > 0)) {
                    ledger.restart(order.resumeStep(), "group " + order.group() + " placed from the committed checkpoint of step "
                            + order.resumeStep());
                }
                return new Rank0(claim, checkpoints, metrics, ledger, config.train().globalBatchSize(), config.train().microBatchSize());
            } catch (IOException | RuntimeException e) {
                claim.close();
                throw e;
            }
        }

        /** Appends step {@code m}'s line to metrics.jsonl. */
        default void appendMetrics(StepMetrics m, LoopPolicy.Throughput speed, double valLoss) throws IOException {}

        /** Appends step {@code m}'s samples to the ledger, after its metrics line. */
        default void appendLedger(StepMetrics m, String group) throws IOException {}

        /** The steps the ledger stands at, replayed from the file. */
        default long ledgerSteps() throws IOException {
            return 0;
        }

        default void regroup(long step, String group, int ranks) throws IOException {}

        default void setAsideAfter(long committedStep) throws IOException {}

        default List<String> lines() {
            return List.of();
        }

        default Path checkpoint(Checkpoint.Contents contents) throws IOException {
            throw new IllegalStateException("only rank 0 writes checkpoints");
        }

        default void prune() throws IOException {}

        @Override
        default void close() throws IOException {}
    }

    /** The run folder's writer: every write is checked against the claim's fencing token first. */
    private record Rank0(WriterClaim claim, Checkpoints checkpoints, MetricsLog metrics, SampleLedger ledger, int globalBatch,
            int microBatch) implements RunWriter {
        @Override
        public void appendMetrics(StepMetrics m, LoopPolicy.Throughput speed, double valLoss) throws IOException {
            claim.check();
            metrics.append(m, speed.tokensPerSecond(), speed.flopsPerSecond(), speed.mfu(), valLoss);
        }

        @Override
        public void appendLedger(StepMetrics m, String group) throws IOException {
            claim.check();
            ledger.step(m, globalBatch, microBatch, group);
        }

        @Override
        public long ledgerSteps() throws IOException {
            return ledger.steps();
        }

        @Override
        public void regroup(long step, String group, int ranks) throws IOException {
            claim.check();
            ledger.regroup(step, group, ranks);
        }

        @Override
        public void setAsideAfter(long committedStep) throws IOException {
            claim.check();
            checkpoints.setAsideAfter(committedStep);
        }

        @Override
        public List<String> lines() {
            return metrics.lines();
        }

        @Override
        public Path checkpoint(Checkpoint.Contents contents) throws IOException {
            claim.check();
            return checkpoints.write(contents).dir();
        }

        @Override
        public void prune() throws IOException {
            claim.check();
            checkpoints.prune();
        }

        @Override
        public void close() throws IOException {
            try (claim) {
                metrics.close();
                ledger.close();
            }
        }
    }
}
