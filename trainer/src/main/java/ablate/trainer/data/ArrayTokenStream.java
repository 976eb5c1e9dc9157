package ablate.trainer.data;

import java.util.Arrays;

/** A {@link TokenStream} held in memory, for the built-in corpus and for tests. */
public final class ArrayTokenStream implements TokenStream {

    private final int[] tokens;

    /** Copies {@code tokens}, so later changes to the caller's array cannot change samples. */
    public ArrayTokenStream(int[] tokens) {
        this.tokens = tokens.clone();
    }

    @Override
    public long length() {
        return tokens.length;
    }

    @Override
    public void read(long start, int[] dst) {
        TokenStream.checkRange(start, dst.length, tokens.length);
        System.arraycopy(tokens, (int) start, dst, 0, dst.length);
    }

    @Override
    public String toString() {
        return "ArrayTokenStream[" + tokens.length + " tokens]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArrayTokenStream other && Arrays.equals(tokens, other.tokens);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens);
    }
}
