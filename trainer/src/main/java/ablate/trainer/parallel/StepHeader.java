package ablate.trainer.parallel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * What one rank reports about its micro-batches of a step, exchanged with {@link AllReduce#allGather}
 * before the gradients: the step (ranks at different steps fail loudly), the loss of each of its
 * micro-batches by global index, the largest |gradient| per weight tensor, and whether a gradient
 * was inf/NaN or outgrew the fixed-point grid. Merging the ranks' headers gives every rank the same
 * view: losses are summed in global micro-batch order, maxima are order-free.
 *
 * @param firstMicroBatch global index of {@code losses[0]}
 */
public record StepHeader(long step, int firstMicroBatch, double[] losses, float[] maxAbs, boolean nonFinite, boolean overflow) {
    public StepHeader {
        losses = losses.clone();
        maxAbs = maxAbs.clone();
    }

    /** The step's loss: the micro-batch losses (each already divided by the step's micro-batch count) summed in global order. */
    public double loss() {
        double total = 0;
        for (double l : losses) {
            total += l;
        }
        return total;
    }

    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + 8 * losses.length + 4 * maxAbs.length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(step);
            out.writeInt(firstMicroBatch);
            out.writeBoolean(nonFinite);
            out.writeBoolean(overflow);
            out.writeInt(losses.length);
            for (double l : losses) {
                out.writeDouble(l);
            }
            out.writeInt(maxAbs.length);
            for (float m : maxAbs) {
                out.writeFloat(m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static StepHeader fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            long step = in.readLong();
            int first = in.readInt();
            boolean nonFinite = in.readBoolean();
            boolean overflow = in.readBoolean();
            double[] losses = new double[in.readInt()];
            for (int i = 0; i < losses.length; i++) {
                losses[i] = in.readDouble();
            }
            float[] maxAbs = new float[in.readInt()];
            for (int i = 0; i < maxAbs.length; i++) {
                maxAbs[i] = in.readFloat();
            }
            return new StepHeader(step, first, losses, maxAbs, nonFinite, overflow);
        } catch (IOException e) {
            throw new AllReduceException("a step header could not be read (" + bytes.length + " bytes): " + e.getMessage(), e);
        }
    }

    /**
     * The ranks' headers (in rank order) as one: every micro-batch of the step exactly once, in
     * global order, maxima and flags combined.
     *
     * @throws AllReduceException when ranks disagree about the step, the tensors or the micro-batches
     */
    public static StepHeader merge(List<StepHeader> ranks, int microBatches) {
        long step = ranks.getFirst().step();
        int tensors = ranks.getFirst().maxAbs().length;
        double[] losses = new double[microBatches];
        float[] maxAbs = new float[tensors];
        boolean nonFinite = false;
        boolean overflow = false;
        int next = 0;
        for (int r = 0; r < ranks.size(); r++) {
            StepHeader h = ranks.get(r);
            if (h.step() != step) {
                throw new AllReduceException("rank " + r + " is at step " + h.step() + ", rank 0 at step " + step
                        + ": the group is out of step");
            }
            if (h.maxAbs().length != tensors) {
                throw new AllReduceException("rank " + r + " has " + h.maxAbs().length + " weight tensors, rank 0 has " + tensors
                        + ": the ranks do not train the same model");
            }
            if (h.firstMicroBatch() != next || next + h.losses().length > microBatches) {
                throw new AllReduceException("rank " + r + " computed micro-batches [" + h.firstMicroBatch() + ", "
                        + (h.firstMicroBatch() + h.losses().length) + ") but [" + next + ", ...) of " + microBatches + " were due");
            }
            System.arraycopy(h.losses(), 0, losses, next, h.losses().length);
            next += h.losses().length;
            for (int t = 0; t < tensors; t++) {
                float m = h.maxAbs()[t];
                maxAbs[t] = Float.isNaN(m) || Float.isNaN(maxAbs[t]) ? Float.NaN : Math.max(maxAbs[t], m);
            }
            nonFinite |= h.nonFinite();
            overflow |= h.overflow();
        }
        if (next != microBatches) {
            throw new AllReduceException("the ranks computed " + next + " of the step's " + microBatches + " micro-batches");
        }
        return new StepHeader(step, 0, losses, maxAbs, nonFinite, overflow);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StepHeader h && step == h.step && firstMicroBatch == h.firstMicroBatch && Arrays.equals(losses, h.losses)
                && Arrays.equals(maxAbs, h.maxAbs) && nonFinite == h.nonFinite && overflow == h.overflow;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(step) * 31 + Arrays.hashCode(losses);
    }

    @Override
    public String toString() {
        return "StepHeader[step=" + step + ", micro-batches " + firstMicroBatch + "+" + losses.length + ", nonFinite=" + nonFinite
                + ", overflow=" + overflow + "]";
    }
}
