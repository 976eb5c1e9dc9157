package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ablate.trainer.cli.InspectCommand;
import ablate.trainer.cli.TrainCommand;
import ablate.trainer.model.Gpt;
import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What an encoder-decoder run is checked for at start, before anything is written: the settings it
 * does not take and a vocabulary padding too small for its sentinels fail naming the key and where
 * it was set; {@code inspect} prints its sizes beside the decoder of equal compute; what builds a
 * decoder from a config refuses it (an encoder-decoder is built as one).
 */
class EncoderDecoderStartTest {
    @TempDir
    Path tmp;

    private static final String[] T5 = {"--preset", "debug", "--set", "model.architecture=encoder-decoder", "--set",
        "train.objective=span-corruption"};

    @Test
    void aDryRunOfAnEncoderDecoderPassesEveryCheckAndWritesNothing() {
        Path dir = tmp.resolve("t5");
        Result r = run(new TrainCommand(), append(T5, "--run-dir", dir.toString(), "--dry-run"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("architecture=encoder-decoder").contains("262,400 parameters");
        assertThat(dir).doesNotExist();
    }

    @Test
    void parallelResidualFailsAtStartNamingTheKeyAndWritesNothing() {
        Path dir = tmp.resolve("t5");
        Result r = run(new TrainCommand(), append(T5, "--set", "model.parallel-residual=on", "--run-dir", dir.toString()));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("model.parallel-residual (--set model.parallel-residual=on): on has no meaning for an"
                + " encoder-decoder");
        assertThat(dir).doesNotExist();
    }

    /** 257 byte ids padded to 320 leave 63 rows; a vocabulary of 320 leaves none for the 3 sentinels of a 64-token input. */
    @Test
    void aPaddingWithoutRoomForTheSentinelsFailsAtStart() {
        RunConfig run = Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=encoder-decoder", "model.vocab-size=320"));
        assertThatThrownBy(() -> LoopPolicy.checkArchitecture(run)).isInstanceOf(SettingsException.class)
                .hasMessageContaining("model.pad-vocab-to-multiple-of").hasMessageContaining("needs 3 sentinel ids");
        assertThatThrownBy(() -> new Trainer(run, null)).as("a cluster trainer builds a Trainer without the command")
                .hasMessageContaining("model.pad-vocab-to-multiple-of");
        LoopPolicy.checkArchitecture(Settings.load(Settings.Sources.ofPreset("debug", "model.vocab-size=320")));
    }

    @Test
    void inspectPrintsBothStacksAndTheDecoderOfEqualCompute() {
        Result r = run(new InspectCommand(), "--preset", "debug", "--set", "model.architecture=encoder-decoder");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("encoder-decoder, 2 layers per stack, d-model 64")
                .contains("per sequence: 64 encoder + 14 decoder tokens")
                .containsPattern("base \\(learned, gelu, encoder-decoder\\) +262,400 +28,672 +233,728 +78 +0\\.001")
                .containsPattern("architecture=causal-decoder \\(seq 76, same compute\\) +125,440 ")
                .doesNotContain("attention-mask=").doesNotContain("preset family");
        Result decoder = run(new InspectCommand(), "--preset", "debug");
        assertThat(decoder.out()).containsPattern("base \\(learned, gelu\\) +124,672 ")
                .containsPattern("architecture=encoder-decoder \\(seq 52, same compute\\) +260,864 ");
        assertThat(decoder.out()).as("ReLU has GELU's two matrices, GEGLU SwiGLU's three of 2/3 the width")
                .containsPattern("activation=relu +124,672 ")
                .containsPattern("activation=swiglu +123,808 ").containsPattern("activation=geglu +123,808 ");
    }

    @Test
    void whatBuildsADecoderFromAConfigRefusesAnEncoderDecoder() {
        RunConfig run = Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=encoder-decoder"));
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> new Gpt(m, run.model(), 1, false)).isInstanceOf(SettingsException.class)
                    .hasMessageContaining("model.architecture").hasMessageContaining("not a decoder");
        }
    }

    private record Result(int code, String out, String err) {}

    private static Result run(Object command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            int code = new CommandLine(command).execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    private static String[] append(String[] args, String... more) {
        String[] out = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, out, args.length, more.length);
        return out;
    }
}
