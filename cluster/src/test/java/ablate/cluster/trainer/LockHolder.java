package ablate.cluster.trainer;

import ablate.trainer.run.RunLock;
import java.nio.file.Path;

/** A separate JVM that takes a run folder's lock as {@code args[1]}, says "locked", and holds it until killed. */
public final class LockHolder {
    private LockHolder() {}

    public static void main(String[] args) throws Exception {
        RunLock lock = RunLock.acquire(Path.of(args[0]), args[1]);
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        lock.close();
    }
}
