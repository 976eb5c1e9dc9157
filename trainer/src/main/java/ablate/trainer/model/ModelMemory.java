package ablate.trainer.model;

import ablate.conf.Activation;
import ablate.conf.Architecture;
import ablate.conf.ModelConfig;
import ablate.conf.Position;
import ablate.conf.RunConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a model needs in memory for one use (training, loading, exporting, scoring), estimated from
 * its shape alone before anything is allocated, and the refusal when that is more than is
 * available: one line with the estimate instead of an OutOfMemoryError or the OOM killer. All
 * sizes are doubles, so no shape overflows them.
 *
 * <p>Two budgets are checked ({@link #requireFits}):
 * <ul>
 *   <li>the machine's memory, on CPU: libtorch's arrays (weights, buffers, activations) live off
 *       the Java heap, beside the Java arrays, so all of it together is compared with {@link
 *       AvailableMemory#machine}. On a GPU libtorch checks the device's memory itself when the
 *       model is placed, so only the Java heap is checked;
 *   <li>the Java heap: the largest set of Java arrays alive at once ({@link #heap}), compared with
 *       the JVM's {@code -Xmx}, which an OutOfMemoryError would otherwise report.
 * </ul>
 *
 * <p>The parts:
 * <ul>
 *   <li>weights: 4 bytes per parameter, as models are built in fp32 to load, export and score
 *       (whatever the checkpoint's dtype: F16 and BF16 are widened while read); exporting holds
 *       the Hugging Face copy too (4 more); training holds 16 ({@link
 *       ModelSize#trainingStateBytes}: weights, gradients and AdamW's two moments);
 *   <li>buffers ({@code AttentionBias}, {@code Rotary}): the causal mask of seq-len^2 floats; with
 *       ALiBi its heads x seq-len^2 biases and as many for the biased mask; rotary's cos and sin
 *       tables;
 *   <li>training activations: 2 x {@link ModelSize#activationBytesPerSequence} (fp32) per sequence
 *       of the micro-batch;
 *   <li>scoring activations, for a forward pass of N tokens in rows W = min(N, seq-len) wide. DJL
 *       frees nothing before the pass's sub-manager closes, so every intermediate of every layer is
 *       alive at its end. Counted from {@code Attention}, {@code Mlp}, {@code Block} and the norms
 *       as an upper bound, in fp32 values per token and layer: 30 d (norms, fused QKV, rotary,
 *       attention output and projection, residual sums) + 9 h (tanh GELU's eight elementwise steps
 *       on the hidden layer; SwiGLU takes five, exact GELU two, ReLU two; GEGLU 11 h, tanh GELU's
 *       nine plus the gate and the product) + 4 H W (scores, scaled, biased, softmax); plus per token 4 d (embeddings, final norm) + 3 V (logits, the rows read and their
 *       log-softmax) + 4 H W (the packed attention bias). libtorch's own workspace is not counted.
 *       A request longer than the budget is scored in a pass of its own, so {@code ablate eval}
 *       gives N as the larger of the budget and its tasks' longest such pass (evaluator's {@code
 *       LonePass}). An
 *       encoder-decoder's N counts encoder positions, decoder positions and, for each decoder row,
 *       an eighth of the encoder width it reads (its copy of the cross-attention keys and values,
 *       at most 4 d per position and layer), each bounded by a decoder block's 45 d + 9 h (GEGLU
 *       11 h) + 8 H W (a cross-attention branch beside the self-attention);
 *   <li>Java arrays at once: the larger of a weight read from its file plus its rearranged copy
 *       (or, in training, its initial values plus their copy to libtorch), twice the largest
 *       weight; the causal mask (and ALiBi's biases) built as Java floats; a scoring pass's
 *       N x W visibility booleans and their copy.
 * </ul>
 *
 * @param use what the model is for, as the refusal says it: "to train", "to load", "to score"
 * @param parameters the model's parameter count
 * @param parts where the memory goes besides the Java heap, each with its bytes
 * @param heap the Java arrays alive at once, and which they are ("the largest weight and its copy")
 * @param advice what to do instead, ending the refusal
 */
public record ModelMemory(String use, long parameters, List<Part> parts, Part heap, String advice) {
    private static final double GIB = 1L << 30;

    /** Bytes and what they hold ("of fp32 weights"). */
    public record Part(double bytes, String what) {}

    public ModelMemory {
        parts = List.copyOf(parts);
    }

    /** Training: the state of weights, gradients and AdamW, and the activations of a micro-batch. */
    public static ModelMemory training(RunConfig run) {
        ModelConfig m = run.model();
        ModelSize size = new ModelSize(m);
        int micro = run.train().microBatchSize();
        List<Part> parts = new ArrayList<>();
        parts.add(new Part(size.trainingStateBytes(), "of weights, gradients and AdamW state"));
        parts.add(new Part(2 * size.activationBytesPerSequence() * micro, "of activations for a micro-batch of " + micro));
        parts.add(buffers(m));
        return new ModelMemory("to train", size.total(), parts, heap(m, 0),
                "choose a smaller preset or model, or train it on a cluster of GPUs");
    }

    /** Loading a checkpoint (import-hf, a checkpoint an evaluator node holds): fp32 weights and buffers. */
    public static ModelMemory loading(ModelConfig m) {
        ModelSize size = new ModelSize(m);
        return new ModelMemory("to load", size.total(), List.of(weights(size), buffers(m)), heap(m, 0),
                "use a machine with more memory");
    }

    /** export-hf: the loaded model and the Hugging Face copy of every weight, which is written out at the end. */
    public static ModelMemory exporting(ModelConfig m) {
        ModelSize size = new ModelSize(m);
        Part copy = new Part(4.0 * size.total(), "of the Hugging Face copy of the weights");
        return new ModelMemory("to export", size.total(), List.of(weights(size), copy, buffers(m)), heap(m, 0),
                "use a machine with more memory");
    }

    /**
     * Scoring: fp32 weights, buffers and the activations of one forward pass of {@code batchTokens}
     * tokens (see the class comment).
     */
    public static ModelMemory scoring(ModelConfig m, int batchTokens) {
        ModelSize size = new ModelSize(m);
        double n = Math.max(1, batchTokens);
        double w = Math.min(n, m.seqLen());
        double d = m.dModel();
        double attention = 4.0 * m.heads() * w;
        boolean encoderDecoder = m.architecture() == Architecture.ENCODER_DECODER;
        // an encoder-decoder's budget counts encoder positions, decoder positions and an eighth of the encoder width per
        // decoder row (its keys and values copy); a decoder block's position costs most, its cross-attention branch taking
        // about what its self-attention takes
        double mlp = (m.activation() == Activation.GEGLU ? 11.0 : 9.0) * m.mlpHidden();
        double perLayer = encoderDecoder ? 45 * d + mlp + 2 * attention : 30 * d + mlp + attention;
        double perToken = m.layers() * perLayer + 4 * d + 3.0 * m.paddedVocab() + attention;
        Part activations = new Part(4 * n * perToken, String.format(Locale.ROOT,
                "of activations for a forward pass of %,d tokens in rows of up to %,d", (long) n, (long) w));
        double visibility = encoderDecoder ? 0 : 2 * n * w; // an encoder-decoder's masks come from lengths, not from Java booleans
        return new ModelMemory("to score", size.total(), List.of(weights(size), buffers(m), activations), heap(m, visibility),
                "score fewer tokens per forward pass, on a GPU, or on a machine with more memory");
    }

    /** The same estimate ending with other advice (a command's own options). */
    public ModelMemory withAdvice(String otherAdvice) {
        return new ModelMemory(use, parameters, parts, heap, otherAdvice);
    }

    /** Bytes outside the Java heap: libtorch's arrays, on the model's device. */
    public double deviceBytes() {
        return parts.stream().mapToDouble(Part::bytes).sum();
    }

    /** Everything, device and Java heap: what a model on CPU takes of the machine. */
    public double totalBytes() {
        return deviceBytes() + heap.bytes();
    }

    /**
     * Refuses a model that does not fit: on CPU when everything exceeds the machine's memory, and
     * anywhere when its Java arrays exceed the JVM's heap.
     *
     * @throws IllegalArgumentException with the estimate, its parts and what is available
     */
    public void requireFits(AvailableMemory available) {
        if (available.modelOnCpu() && totalBytes() > available.machine()) {
            List<String> items = new ArrayList<>();
            for (Part p : parts) {
                items.add(size(p.bytes()) + " " + p.what());
            }
            items.add(size(heap.bytes()) + " of Java arrays at once (" + heap.what() + ")");
            throw new IllegalArgumentException(String.format(Locale.ROOT, "this model needs about %s %s (%,d parameters: %s)"
                    + " and this machine has %s; %s", size(totalBytes()), use, parameters, String.join("; ", items),
                    size(available.machine()), advice));
        }
        if (heap.bytes() > available.heap()) {
            long suggested = (long) Math.ceil((heap.bytes() + GIB) / GIB);
            throw new IllegalArgumentException(String.format(Locale.ROOT, "this model needs about %s of Java heap at once %s (%s)"
                    + " and this JVM may use %s; give it more with ABLATE_JAVA_OPTS=-Xmx%dg, or %s", size(heap.bytes()), use,
                    heap.what(), size(available.heap()), suggested, advice));
        }
    }

    /** Bytes in the largest binary unit that keeps them above 1 ("3.2 GiB", "640.0 KiB"). */
    static String size(double bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? String.format(Locale.ROOT, "%.0f bytes", v) : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static Part weights(ModelSize size) {
        return new Part(4.0 * size.total(), "of fp32 weights");
    }

    /** AttentionBias's and Rotary's arrays, built once with the model. */
    private static Part buffers(ModelConfig m) {
        double t = m.seqLen();
        double bytes = 4 * t * t + 8 * t;
        if (m.position() == Position.ALIBI) {
            bytes += 8.0 * m.heads() * t * t;
        }
        if (m.position() == Position.ROTARY) {
            bytes += 8 * t * m.rotaryDim();
        }
        if (m.position() == Position.RELATIVE) { // RelativeBias's int64 bucket indices, per stack
            bytes += (m.architecture() == Architecture.ENCODER_DECODER ? 2 : 1) * 8 * (t * t + 2 * t);
        }
        String extra = switch (m.position()) {
            case ALIBI -> " and ALiBi biases";
            case ROTARY -> " and rotary tables";
            case RELATIVE -> " and relative-bias buckets";
            case NONE, LEARNED -> "";
        };
        return new Part(bytes, String.format(Locale.ROOT, "of attention masks%s for seq-len %,d", extra, m.seqLen()));
    }

    /**
     * The Java arrays alive at once: the larger of twice the largest weight, the mask (and ALiBi's
     * biases) built in Java, and {@code visibility} bytes of a scoring pass's booleans.
     */
    private static Part heap(ModelConfig m, double visibility) {
        double t = m.seqLen();
        double staging = 2 * 4.0 * new ModelSize(m).largestTensor();
        double mask = 4 * t * t * (m.position() == Position.ALIBI ? 1 + m.heads() : 1);
        if (visibility > staging && visibility > mask) {
            return new Part(visibility, "the visibility masks of a forward pass");
        }
        return staging >= mask
                ? new Part(staging, "the largest weight and its copy")
                : new Part(mask, "the attention mask" + (m.position() == Position.ALIBI ? " and ALiBi biases" : "")
                        + " of seq-len^2 floats");
    }
}
