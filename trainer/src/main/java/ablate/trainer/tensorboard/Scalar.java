package ablate.trainer.tensorboard;

/** One point of a TensorBoard scalar chart: the tag names the chart, the value is stored as a float (proto {@code simple_value}). */
public record Scalar(String tag, float value) {
    public Scalar {
        if (tag == null || tag.isBlank()) {
            throw new IllegalArgumentException("a scalar needs a tag");
        }
    }
}
