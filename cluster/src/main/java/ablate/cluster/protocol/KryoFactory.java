package ablate.cluster.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.EnumNameSerializer;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Builds the Kryo instances {@link KryoSerializer} pools: registration required, no class names on
 * the wire, no references (messages are trees), and the same ids in every JVM (built-in types below
 * {@link Registrations#FIRST_ID}, then {@link Registrations#CLASSES}, then the extra classes).
 */
final class KryoFactory {
    /** Deeper payloads are refused rather than allowed to overflow the stack. */
    private static final int MAX_DEPTH = 64;

    private final List<Class<?>> extraClasses;
    private final Supplier<ActorRefResolver> actorRefs;
    private final ClassLoader classLoader;

    KryoFactory(List<Class<?>> extraClasses, Supplier<ActorRefResolver> actorRefs, ClassLoader classLoader) {
        this.extraClasses = List.copyOf(extraClasses);
        this.actorRefs = actorRefs;
        this.classLoader = classLoader;
        for (Class<?> type : Registrations.CLASSES) {
            checkListable(type, "Registrations.CLASSES");
        }
        for (Class<?> type : extraClasses) {
            checkListable(type, "cluster.kryo.extra-classes");
        }
    }

    Kryo create() {
        Kryo kryo = new RegisteredKryo();
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        kryo.setMaxDepth(MAX_DEPTH);
        kryo.setClassLoader(classLoader);
        // Built-in value types, ids 20..99: never renumber (the journal stores them).
        kryo.register(byte[].class, 20);
        kryo.register(int[].class, 21);
        kryo.register(long[].class, 22);
        kryo.register(float[].class, 23);
        kryo.register(double[].class, 24);
        kryo.register(boolean[].class, 25);
        kryo.register(List.class, new ListSerializer(), 30);
        kryo.register(Set.class, new SetSerializer(), 31);
        kryo.register(Map.class, new MapSerializer(), 32);
        kryo.register(Instant.class, 40);
        kryo.register(Duration.class, 41);
        kryo.register(UUID.class, new DefaultSerializers.UUIDSerializer(), 42);
        kryo.register(Path.class, new PathSerializer(), 43);
        kryo.register(ActorRef.class, new ActorRefSerializer(actorRefs), 44);
        register(kryo, Registrations.CLASSES, Registrations.FIRST_ID);
        register(kryo, extraClasses, Registrations.FIRST_EXTRA_ID);
        return kryo;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void register(Kryo kryo, List<Class<?>> classes, int firstId) {
        for (int i = 0; i < classes.size(); i++) {
            Class<?> type = classes.get(i);
            if (type.isEnum()) {
                // By name, not ordinal: adding a constant must not change what stored events mean.
                kryo.register(type, new EnumNameSerializer((Class<? extends Enum>) type), firstId + i);
            } else {
                kryo.register(type, firstId + i);
            }
        }
    }

    private static void checkListable(Class<?> type, String list) {
        if (!type.isRecord() && !type.isEnum()) {
            throw new IllegalArgumentException(list + " may hold records and enums only, not " + type.getName()
                    + " (a record is rebuilt through its canonical constructor, which validates it)");
        }
    }

    /** Names the class a message holds that is not registered, instead of Kryo's "use kryo.register". */
    private static final class RegisteredKryo extends Kryo {
        RegisteredKryo() {
            super(new FamilyClassResolver(), null);
        }

        @Override
        @SuppressWarnings("rawtypes") // Kryo's signature
        public Registration getRegistration(Class type) {
            try {
                return super.getRegistration(type);
            } catch (IllegalArgumentException e) {
                throw new UnregisteredClassException(type);
            }
        }
    }

    /**
     * Maps every List, Set, Map, Path and ActorRef implementation (List.of's JDK-internal classes,
     * ArrayList, UnixPath, Pekko's internal ActorRefAdapter...) to the one registration of its
     * interface, and never reads a class name: a payload can only name registered ids.
     */
    private static final class FamilyClassResolver extends DefaultClassResolver {
        private static final List<Class<?>> FAMILIES = List.of(List.class, Set.class, Map.class, Path.class, ActorRef.class);

        @Override
        @SuppressWarnings("rawtypes") // Kryo's signature
        public Registration getRegistration(Class type) {
            Registration registration = super.getRegistration(type);
            if (registration == null) {
                for (Class<?> family : FAMILIES) {
                    if (family.isAssignableFrom(type)) {
                        return super.getRegistration(family);
                    }
                }
            }
            return registration;
        }

        @Override
        protected Registration readName(Input input) {
            throw new KryoException("refused a class name in a cluster message: only registered class ids are read");
        }
    }

    /** Capacity hint for a collection whose size a peer claims: a corrupt size must not allocate gigabytes up front. */
    private static int capacity(int size) {
        return Math.min(size, 1024);
    }

    private static final class ListSerializer extends Serializer<List<?>> {
        @Override
        public void write(Kryo kryo, Output output, List<?> list) {
            output.writeVarInt(list.size(), true);
            for (Object element : list) {
                kryo.writeClassAndObject(output, element);
            }
        }

        @Override
        public List<?> read(Kryo kryo, Input input, Class<? extends List<?>> type) {
            int size = input.readVarInt(true);
            List<Object> list = new ArrayList<>(capacity(size));
            for (int i = 0; i < size; i++) {
                list.add(kryo.readClassAndObject(input));
            }
            return Collections.unmodifiableList(list);
        }
    }

    private static final class SetSerializer extends Serializer<Set<?>> {
        @Override
        public void write(Kryo kryo, Output output, Set<?> set) {
            output.writeVarInt(set.size(), true);
            for (Object element : set) {
                kryo.writeClassAndObject(output, element);
            }
        }

        @Override
        public Set<?> read(Kryo kryo, Input input, Class<? extends Set<?>> type) {
            int size = input.readVarInt(true);
            Set<Object> set = new LinkedHashSet<>(capacity(size));
            for (int i = 0; i < size; i++) {
                set.add(kryo.readClassAndObject(input));
            }
            return Collections.unmodifiableSet(set);
        }
    }

    private static final class MapSerializer extends Serializer<Map<?, ?>> {
        @Override
        public void write(Kryo kryo, Output output, Map<?, ?> map) {
            output.writeVarInt(map.size(), true);
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                kryo.writeClassAndObject(output, entry.getKey());
                kryo.writeClassAndObject(output, entry.getValue());
            }
        }

        @Override
        public Map<?, ?> read(Kryo kryo, Input input, Class<? extends Map<?, ?>> type) {
            int size = input.readVarInt(true);
            Map<Object, Object> map = new LinkedHashMap<>(capacity(size));
            for (int i = 0; i < size; i++) {
                map.put(kryo.readClassAndObject(input), kryo.readClassAndObject(input));
            }
            return Collections.unmodifiableMap(map);
        }
    }

    private static final class PathSerializer extends Serializer<Path> {
        PathSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, Path path) {
            output.writeString(path.toString());
        }

        @Override
        public Path read(Kryo kryo, Input input, Class<? extends Path> type) {
            return Path.of(input.readString());
        }
    }

    /** A typed ActorRef as Pekko's own serialization format (its full address), resolved by the receiving system. */
    private static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
        private final Supplier<ActorRefResolver> resolver;

        ActorRefSerializer(Supplier<ActorRefResolver> resolver) {
            this.resolver = resolver;
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, ActorRef<?> ref) {
            output.writeString(resolver.get().toSerializationFormat(ref));
        }

        @Override
        public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
            return resolver.get().resolveActorRef(input.readString());
        }
    }
}
