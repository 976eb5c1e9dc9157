package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.lang.classfile.ClassFile;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TorchTest {
    @Test
    void cpuIsTheCpu() {
        assertThat(Torch.device("cpu")).isEqualTo(Device.cpu());
    }

    /** On the default (CPU) build this names the setting and the fix; on a CUDA build, an index past the GPUs fails. */
    @Test
    void aCudaDeviceThatIsNotThereFailsNamingTheSetting() {
        Torch.configureThreads(2);
        if (!Engine.getEngine("PyTorch").hasCapability(StandardCapabilities.CUDA)) {
            assertThatThrownBy(() -> Torch.device("cuda:0"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("train.device = cuda:0 but this libtorch has no CUDA: libtorch 2.7.1")
                    .hasMessageContaining("-Pcuda")
                    .hasMessageContaining("PYTORCH_LIBRARY_PATH");
        } else {
            assertThatThrownBy(() -> Torch.device("cuda:64")).hasMessageContaining("but libtorch sees");
        }
    }

    /**
     * DJL's {@code NDArray.set(Buffer)} (and {@code set(float[])} etc. and {@code copyTo}, which call it)
     * runs JNI torchSet, the one DJL native function that takes libtorch's deprecated
     * AutoNonVariableTypeMode guard: libtorch then prints, once per process, a warning about "silent
     * wrong results" that do not happen here. It also swaps the array's storage for Java memory.
     * Write into an array's own storage with {@link Torch#copyInto} instead. Checks this module's
     * classes, main and test.
     */
    @Test
    void noCodeCallsDjlsSetFromJavaData() throws Exception {
        Pattern banned = Pattern.compile("ai/djl/(ndarray/NDArray|pytorch/engine/PtNDArray)\\.(set:\\((\\[[ZBCSIJFD]|Ljava/nio/Buffer;)\\)V"
                + "|copyTo:\\(Lai/djl/ndarray/NDArray;\\)V)|ai/djl/pytorch/jni/JniUtils\\.set:.*");
        List<String> found = new ArrayList<>();
        for (Class<?> anchor : List.of(Torch.class, TorchTest.class)) {
            Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(x -> x.toString().endsWith(".class")).toList()) {
                    for (var entry : ClassFile.of().parse(f).constantPool()) {
                        if (entry instanceof MemberRefEntry ref) {
                            String call = ref.owner().asInternalName() + "." + ref.name().stringValue() + ":" + ref.type().stringValue();
                            if (banned.matcher(call).matches()) {
                                found.add(root.relativize(f) + " -> " + call);
                            }
                        }
                    }
                }
            }
        }
        assertThat(found).as("calls that reach DJL's torchSet (use Torch.copyInto)").isEmpty();
    }
}
