package ablate.trainer.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.conf.SettingsException;
import ablate.trainer.cli.InspectCommand;
import ablate.trainer.cli.TrainCommand;
import ablate.trainer.model.Gpt;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The parser accepts model.architecture = encoder-decoder; training it is refused until issue 17 builds the model. */
class EncoderDecoderIsRefusedTest {
    @TempDir
    Path tmp;

    private static final String NOT_YET = "model.architecture (--set model.architecture=encoder-decoder): not implemented yet:"
            + " the encoder-decoder model lands in a later step of issue 17; train causal-decoder (full-lm) or"
            + " non-causal-decoder (prefix-lm) for now";

    @Test
    void anEncoderDecoderRunFailsAtStartNamingTheKeyAndWritesNothing() {
        Path dir = tmp.resolve("t5");
        String[] args = {"--preset", "debug", "--set", "model.architecture=encoder-decoder", "--set", "train.objective=span-corruption",
                "--run-dir", dir.toString()};
        for (Result r : new Result[] {run(new TrainCommand(), args), run(new TrainCommand(), append(args, "--dry-run"))}) {
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains(NOT_YET);
            assertThat(dir).doesNotExist();
        }
    }

    @Test
    void noTrainerOrModelIsBuiltForAnEncoderDecoder() {
        RunConfig run = Settings.load(Settings.Sources.ofPreset("debug", "model.architecture=encoder-decoder"));
        assertThatThrownBy(() -> LoopPolicy.checkArchitecture(run)).isInstanceOf(SettingsException.class).hasMessage(NOT_YET);
        assertThatThrownBy(() -> new Trainer(run, null)).as("a cluster trainer builds a Trainer without the command")
                .hasMessage(NOT_YET);
        assertThatThrownBy(() -> Gpt.requireDecoder(run.model())).hasMessageContaining("not implemented yet");
        LoopPolicy.checkArchitecture(Settings.load(Settings.Sources.ofPreset("debug", "model.attention-mask=prefix")));
    }

    @Test
    void inspectRefusesItTooRatherThanPrintADecodersSizes() {
        Result r = run(new InspectCommand(), "--preset", "debug", "--set", "model.architecture=encoder-decoder");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(NOT_YET);
    }

    private record Result(int code, String err) {}

    private static Result run(Object command, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(e);
            int code = new CommandLine(command).execute(args);
            return new Result(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    private static String[] append(String[] args, String arg) {
        String[] out = java.util.Arrays.copyOf(args, args.length + 1);
        out[args.length] = arg;
        return out;
    }
}
