package ablate.cluster.evaluation;

import ablate.evaluator.scoring.ModelRunner;
import ablate.trainer.hf.Pretrained;
import ablate.trainer.run.Torch;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The checkpoint an evaluator node scores (a decoder's or an encoder-decoder's, loaded as {@code
 * ablate eval} loads it), kept until work for another checkpoint arrives. Touched only on the
 * node's DJL thread.
 */
final class LoadedCheckpoint implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LoadedCheckpoint.class);
    private final Path storage;
    private final String device;
    private Path dir;
    private NDManager manager;
    private Pretrained pretrained;
    private ModelRunner runner;

    LoadedCheckpoint(Path storage, String device) {
        this.storage = storage;
        this.device = device;
    }

    /** RUN/checkpoints/step-N under {@code storage}, as a run folder names its checkpoints. */
    static Path of(Path storage, String run, long step) {
        return new ablate.trainer.run.RunDirectory(storage.resolve(run)).checkpoint(step);
    }

    /** The runner for checkpoint {@code step} of {@code run}, loading it when it is not the one held. */
    ModelRunner runner(String run, long step) throws IOException {
        Path wanted = of(storage, run, step);
        if (!wanted.equals(dir)) {
            close();
            manager = NDManager.newBaseManager(Torch.device(device));
            try {
                pretrained = Pretrained.loadRun(wanted, manager);
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
            runner = new ModelRunner(pretrained.model(), pretrained.tokenizer(), pretrained.decoderStart());
            dir = wanted;
            LOG.info("loaded checkpoint {} for scoring", wanted);
        }
        return runner;
    }

    @Override
    public void close() {
        if (pretrained != null) {
            pretrained.close();
        }
        if (manager != null) {
            manager.close();
        }
        pretrained = null;
        manager = null;
        runner = null;
        dir = null;
    }
}
