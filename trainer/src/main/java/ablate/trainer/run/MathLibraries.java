package ablate.trainer.run;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns off the thread-count heuristics of the math libraries inside libtorch, whatever the
 * environment says: MKL's dynamic adjustment ({@code MKL_Set_Dynamic(0)}, process-wide) and
 * OpenMP's dynamic teams ({@code omp_set_dynamic(0)}, for the calling thread; libgomp's default
 * is off on every thread). Either would let a busy machine change how many threads split a
 * reduction, and so its last bits. The launchers also export OMP_DYNAMIC and MKL_DYNAMIC =
 * FALSE (ops/launch/numerics.sh). A libtorch without MKL or libgomp simply has nothing to pin.
 */
final class MathLibraries {
    private static final Logger log = LoggerFactory.getLogger(MathLibraries.class);

    private MathLibraries() {}

    static void pinThreadCounts() {
        call("MKL_Set_Dynamic"); // the C entry point; lower-case mkl_set_dynamic is the Fortran one and takes a pointer
        call("omp_set_dynamic");
    }

    private static void call(String function) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> symbol = linker.defaultLookup().find(function).or(() -> SymbolLookup.loaderLookup().find(function))
                .or(() -> find("libtorch_cpu.so", function)).or(() -> findGomp(function));
        if (symbol.isEmpty()) {
            log.debug("{} not found in the loaded libtorch; nothing to pin", function);
            return;
        }
        try {
            MethodHandle h = linker.downcallHandle(symbol.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            h.invokeExact(0);
        } catch (Throwable t) {
            log.warn("{}(0) failed: {}", function, t.toString());
        }
    }

    private static Optional<MemorySegment> find(String library, String function) {
        try {
            return SymbolLookup.libraryLookup(library, java.lang.foreign.Arena.global()).find(function);
        } catch (IllegalArgumentException notOnThePath) {
            return Optional.empty();
        }
    }

    /** DJL's libtorch ships libgomp under a hashed name beside libtorch_cpu.so. */
    private static Optional<MemorySegment> findGomp(String function) {
        for (String name : new String[] {"libgomp.so.1", "libgomp-98b21ff3.so.1"}) {
            Optional<MemorySegment> s = find(name, function);
            if (s.isPresent()) {
                return s;
            }
        }
        return Optional.empty();
    }
}
