package ablate.cluster.protocol;

import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Subscribes an actor to a receptionist key through a child of its own. All message adapters of an
 * actor share one reference, and the receptionist refuses to watch one reference both as a
 * registered service and as a subscriber (it stops with "termination message was not
 * overwritten"), so an actor that registers an adapter must subscribe through another reference.
 */
public final class Listings {
    private Listings() {}

    public static <T, M> void subscribe(ActorContext<M> ctx, ServiceKey<T> key, Function<Receptionist.Listing, M> wrap) {
        ActorRef<M> parent = ctx.getSelf();
        ActorRef<Receptionist.Listing> listener = ctx.spawn(Behaviors.receive(Receptionist.Listing.class)
                .onMessage(Receptionist.Listing.class, listing -> {
                    parent.tell(wrap.apply(listing));
                    return Behaviors.same();
                }).build(), "listing-" + key.id());
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(key, listener));
    }
}
