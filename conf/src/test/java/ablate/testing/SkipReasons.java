package ablate.testing;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints one line per skipped test on Maven's console, with why: Surefire writes the tests' own output
 * to files (redirectTestOutputToFile) and its console says only "Skipped: 1", so a test skipped for a
 * missing ../shared/data, chromium or node would otherwise go unnoticed. Writes to the process's real
 * stderr, which Surefire's forked JVM passes through to the console. Registered for every module by
 * META-INF/services and the root pom's additionalClasspathElements.
 */
public final class SkipReasons implements TestExecutionListener {
    private static final PrintStream CONSOLE = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        print(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            print(test, result.getThrowable().map(Throwable::getMessage).orElse("no reason given"));
        }
    }

    private static void print(TestIdentifier test, String reason) {
        String name = test.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                .map(m -> m.getClassName().replaceFirst(".*\\.", "") + "." + m.getMethodName()).orElse(test.getDisplayName());
        CONSOLE.println("[SKIPPED] " + name + ": " + reason);
    }
}
