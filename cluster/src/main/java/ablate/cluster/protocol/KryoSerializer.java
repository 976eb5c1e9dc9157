package ablate.cluster.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko's serializer for every {@link ClusterMessage} (bound in ablate-node.conf): Kryo 5 with
 * registration required, classes and ids from {@link Registrations}. An object of a class that is
 * not registered is refused when written ({@link UnregisteredClassException} naming it: Artery logs
 * the error and drops the message, persistence rejects the event) and a payload naming an
 * unregistered id is refused when read, before anything is instantiated.
 *
 * <p>A plain {@link JSerializer} without manifest: Kryo's class id at the head of the bytes says
 * what follows, so Pekko does not need a class name per message (and a peer cannot make this JVM
 * look one up). The price is that ids must agree, which {@link Registrations} guarantees by order.
 */
public final class KryoSerializer extends JSerializer {
    /** Written with every message and journal row: never change it. 0-40 are Pekko's own. */
    public static final int IDENTIFIER = 4401;

    /** The config key listing test-only classes, registered after {@link Registrations#CLASSES}. */
    public static final String EXTRA_CLASSES_KEY = "cluster.kryo.extra-classes";

    private final Pool<Kryo> pool;

    /** Called by Pekko when the ActorSystem starts. */
    public KryoSerializer(ExtendedActorSystem system) {
        ClassLoader loader = system.dynamicAccess().classLoader();
        List<Class<?>> extra = new ArrayList<>();
        if (system.settings().config().hasPath(EXTRA_CLASSES_KEY)) {
            for (String name : system.settings().config().getStringList(EXTRA_CLASSES_KEY)) {
                try {
                    extra.add(Class.forName(name, false, loader));
                } catch (ClassNotFoundException e) {
                    throw new IllegalArgumentException(EXTRA_CLASSES_KEY + ": no class " + name + " on the class path", e);
                }
            }
        }
        // Resolved on first use: the typed view of the system is not ready while serializers are built.
        KryoFactory factory = new KryoFactory(extra, () -> ActorRefResolver.get(Adapter.toTyped(system)), loader);
        factory.create(); // fails the ActorSystem's start, not the first message, when a listed class is unfit
        this.pool = new Pool<>(true, false, 64) {
            @Override
            protected Kryo create() {
                return factory.create();
            }
        };
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public boolean includeManifest() {
        return false;
    }

    /** A Kryo that threw is not given back to the pool: its state after a failed write or read is not trusted. */
    @Override
    public byte[] toBinary(Object message) {
        Kryo kryo = pool.obtain();
        try (Output output = new Output(256, -1)) {
            kryo.writeClassAndObject(output, message);
            byte[] bytes = output.toBytes();
            pool.free(kryo);
            return bytes;
        } catch (UnregisteredClassException e) {
            throw e;
        } catch (KryoException e) {
            // Kryo's message names the unregistered class and the path of fields that led to it.
            throw new IllegalArgumentException("cannot serialize " + message.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
        Kryo kryo = pool.obtain();
        try {
            Input input = new Input(bytes);
            Object message = kryo.readClassAndObject(input);
            if (input.position() != bytes.length) {
                throw new KryoException((bytes.length - input.position()) + " bytes left after the message");
            }
            pool.free(kryo);
            return message;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("refused a cluster message of " + bytes.length + " bytes: " + e.getMessage(), e);
        }
    }
}
