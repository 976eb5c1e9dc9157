package ablate.evaluator.scoring;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.trainer.data.Tokenizer;
import ablate.trainer.hf.Pretrained;
import java.util.List;

/**
 * A model that answers harness requests. Implementations batch as they like but must return one
 * response per request, in the order given.
 */
public interface LanguageModel extends AutoCloseable {

    List<Response.LogLikelihood> logLikelihood(List<Request.LogLikelihood> requests);

    List<Response.Rolling> logLikelihoodRolling(List<Request.Rolling> requests);

    List<Response.Generated> generate(List<Request.Generate> requests);

    @Override
    void close();

    /**
     * The harness's model for {@code spec}'s architecture, planning here and running the work on
     * {@code runner}: a {@link GptLanguageModel} for a decoder, an {@link
     * EncoderDecoderLanguageModel} for an encoder-decoder.
     */
    static LanguageModel of(Spec spec, TokenScorer.Options options, HarnessEncoding.Rule rule, BatchRunner runner) {
        return spec.config().architecture() == Architecture.ENCODER_DECODER
                ? new EncoderDecoderLanguageModel(spec, options, rule, runner)
                : new GptLanguageModel(spec.tokenizer(), spec.config().seqLen(), options, rule, runner);
    }

    /**
     * What planning needs to know of the model to score, none of its weights: its config (the
     * architecture and the window), its tokenizer, and the token an encoder-decoder's decoder starts
     * with (EOS for ablate's; a Hugging Face t5's decoder_start_token_id, 0 for T5's own; a decoder
     * ignores it).
     */
    record Spec(ModelConfig config, Tokenizer tokenizer, int decoderStart) {
        public Spec {
            if (decoderStart < 0 || decoderStart >= config.paddedVocab()) {
                throw new IllegalArgumentException("a decoder start token of " + decoderStart + " is outside the model's "
                        + config.paddedVocab() + " token ids");
            }
        }

        /** A loaded model's, with the start token it was loaded with. */
        public static Spec of(Pretrained pretrained) {
            return new Spec(pretrained.config(), pretrained.tokenizer(), pretrained.decoderStart());
        }
    }
}
