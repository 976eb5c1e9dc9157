package ablate.trainer.data;

/** Size of one split of a prepared corpus. */
public record SplitCounts(long documents, long tokens) {

    public SplitCounts {
        if (documents < 0 || tokens < 0) {
            throw new IllegalArgumentException("negative counts: " + documents + " documents, " + tokens + " tokens");
        }
        if (tokens < documents) {
            throw new IllegalArgumentException(
                    "every document ends with EOS, so " + documents + " documents need at least as many tokens, not " + tokens);
        }
    }
}
