package ablate.evaluator.scoring;

import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.trainer.data.Tokenizer;
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
     * The harness's model for {@code config}'s architecture, planning here and running the work on
     * {@code runner}: a {@link GptLanguageModel} for a decoder, an {@link
     * EncoderDecoderLanguageModel} for an encoder-decoder.
     */
    static LanguageModel of(ModelConfig config, Tokenizer tokenizer, TokenScorer.Options options, HarnessEncoding.Rule rule,
            BatchRunner runner) {
        return config.architecture() == Architecture.ENCODER_DECODER
                ? new EncoderDecoderLanguageModel(tokenizer, config.seqLen(), options, rule, runner)
                : new GptLanguageModel(tokenizer, config.seqLen(), options, rule, runner);
    }
}
