package ablate.cluster.coordinator;

import ablate.cluster.protocol.ClusterMessage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A persistent counter for the journal tests, shaped the way the coordinator will be: events and
 * snapshots are ClusterMessages (Kryo), a snapshot every N events, and after each snapshot the
 * events before the previous one are deleted: a prefix, never a gap in the middle (#516).
 */
final class TestCounter extends EventSourcedBehavior<TestCounter.Command, TestCounter.Added, TestCounter.State> {
    sealed interface Command {}

    /** Persists one event; the reply comes once it is stored. */
    record Add(int amount, ActorRef<State> replyTo) implements Command {}

    /** Answered after recovery, with the recovered state. */
    record Get(ActorRef<State> replyTo) implements Command {}

    record Added(int amount) implements ClusterMessage {}

    /** The state, and the snapshot. */
    record State(long total, long events) implements ClusterMessage {
        State plus(int amount) {
            return new State(total + amount, events + 1);
        }
    }

    private final int snapshotEvery;

    private TestCounter(String persistenceId, int snapshotEvery) {
        super(PersistenceId.ofUniqueId(persistenceId));
        this.snapshotEvery = snapshotEvery;
    }

    /** @param snapshotEvery 0 = no snapshots (recovery replays every event) */
    static TestCounter create(String persistenceId, int snapshotEvery) {
        return new TestCounter(persistenceId, snapshotEvery);
    }

    @Override
    public State emptyState() {
        return new State(0, 0);
    }

    @Override
    public CommandHandler<Command, Added, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Add.class, (state, add) -> Effect().persist(new Added(add.amount())).thenReply(add.replyTo(), s -> s))
                .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
                .build();
    }

    @Override
    public EventHandler<State, Added> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (state, added) -> state.plus(added.amount())).build();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return snapshotEvery > 0 ? RetentionCriteria.snapshotEvery(snapshotEvery, 2).withDeleteEventsOnSnapshot() : RetentionCriteria.disabled();
    }
}
