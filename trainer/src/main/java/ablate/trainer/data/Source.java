package ablate.trainer.data;

import java.util.Objects;

/**
 * One stream in a training mixture.
 *
 * @param name shown in errors and logs
 * @param stream the tokens
 * @param weight relative share of samples drawn from this source; normalized by {@link Sampler}
 */
public record Source(String name, TokenStream stream, double weight) {

    public Source {
        if (name.isBlank()) {
            throw new IllegalArgumentException("source name is blank");
        }
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("source " + name + " needs a positive finite weight, not " + weight);
        }
        Objects.requireNonNull(stream, () -> "source " + name + " has no stream");
    }
}
