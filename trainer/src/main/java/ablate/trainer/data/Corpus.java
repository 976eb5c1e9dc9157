package ablate.trainer.data;

/** A train split and a validation split, the two streams a training run reads. */
public record Corpus(TokenStream train, TokenStream val) {

    public Corpus {
        if (train.length() == 0) {
            throw new IllegalArgumentException("the train split is empty");
        }
    }
}
