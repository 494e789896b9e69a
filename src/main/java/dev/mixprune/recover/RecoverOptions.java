package dev.mixprune.recover;

import dev.mixprune.grad.Adam;

import java.util.Locale;

/**
 * Settings of one recovery run (docs/recover.md): what is trained, on what data, for how long and how
 * fast. Everything that changes the result is part of {@link #fingerprint()}, which a checkpoint
 * records so that {@code --resume} refuses to continue a run made with other settings.
 *
 * @param mode            global (end-to-end KL distillation) or blockwise (per-block MSE to the dense block)
 * @param steps           optimizer steps (blockwise: per block)
 * @param lr              peak Adam learning rate
 * @param batch           windows per step
 * @param seqLen          tokens per window
 * @param seed            seed of the data draw (windows and their order)
 * @param schedule        learning-rate schedule after the warm-up
 * @param warmup          warm-up steps (linear from lr/warmup to lr)
 * @param minLrFraction   the schedule's final learning rate as a fraction of lr
 * @param trainEmbeddings global mode: also train the embedding and the classifier
 * @param poolWindows     blockwise: calibration windows whose activations are kept and trained on
 * @param hyper           Adam's betas and epsilon
 * @param microBatch      blockwise: windows per forward/backward pass (0: the whole batch); a step's gradient is
 *                        accumulated over batch / microBatch passes, so the activations held do not grow with the batch
 */
public record RecoverOptions(Mode mode, int steps, double lr, int batch, int seqLen, long seed, Schedule schedule, int warmup,
                             double minLrFraction, boolean trainEmbeddings, int poolWindows, Adam.Hyper hyper, int microBatch) {
    public enum Mode {
        GLOBAL, BLOCKWISE;

        public String cliName() { return name().toLowerCase(Locale.ROOT); }

        public static Mode parse(String s) {
            for (Mode m : values()) if (m.cliName().equals(s)) return m;
            throw new IllegalArgumentException("expected global or blockwise, got '" + s + "'");
        }
    }

    public enum Schedule {
        CONSTANT, COSINE, LINEAR;

        public String cliName() { return name().toLowerCase(Locale.ROOT); }

        public static Schedule parse(String s) {
            for (Schedule m : values()) if (m.cliName().equals(s)) return m;
            throw new IllegalArgumentException("expected constant, cosine or linear, got '" + s + "'");
        }
    }

    public RecoverOptions {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("the learning rate must be > 0, got " + lr);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (seqLen < 2) throw new IllegalArgumentException("windows need at least 2 tokens, got " + seqLen);
        if (warmup < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmup);
        if (!(minLrFraction >= 0 && minLrFraction <= 1)) throw new IllegalArgumentException("the final learning-rate fraction must be in [0, 1], got " + minLrFraction);
        if (poolWindows < 1) throw new IllegalArgumentException("the blockwise pool needs at least 1 window, got " + poolWindows);
        if (microBatch < 0 || microBatch > batch || microBatch > 0 && batch % microBatch != 0) {
            throw new IllegalArgumentException("the micro-batch must divide the batch of " + batch + " windows, got " + microBatch);
        }
        if (microBatch > 0 && microBatch < batch && mode != Mode.BLOCKWISE) throw new IllegalArgumentException("micro-batches are for blockwise mode");
    }

    /** The settings without micro-batches (the whole batch in one pass). */
    public RecoverOptions(Mode mode, int steps, double lr, int batch, int seqLen, long seed, Schedule schedule, int warmup,
                          double minLrFraction, boolean trainEmbeddings, int poolWindows, Adam.Hyper hyper) {
        this(mode, steps, lr, batch, seqLen, seed, schedule, warmup, minLrFraction, trainEmbeddings, poolWindows, hyper, 0);
    }

    /** Windows per forward/backward pass of a blockwise step whose batch holds {@code windows} (the pool may hold fewer than --batch). */
    public int passWindows(int windows) {
        return microBatch == 0 ? windows : Math.min(microBatch, windows);
    }

    /** Global mode's defaults (what {@code recover} uses without options) for a number of steps, a window length and a seed. */
    public static RecoverOptions globalDefaults(int steps, int seqLen, long seed) {
        return new RecoverOptions(Mode.GLOBAL, steps, GLOBAL_LR, 8, seqLen, seed, Schedule.COSINE, 0, 0.1, false, 64, Adam.Hyper.DEFAULT);
    }

    /**
     * The default peak learning rates: global 2e-3 (on stories260K Wanda 75% MSP, cosine: mean KL 0.73 at step 300
     * against 0.90 with 1e-3; docs/recover.md), blockwise 1e-3.
     */
    public static final double GLOBAL_LR = 2e-3, BLOCKWISE_LR = 1e-3;

    /** Learning rate of step {@code t} (0-based): linear warm-up, then the schedule down to minLrFraction · lr at the last step. */
    public double lrAt(int t) {
        if (t < warmup) return lr * (t + 1) / warmup;
        int span = steps - warmup;
        double progress = span <= 1 ? 1 : (double) (t - warmup) / (span - 1);
        double floor = lr * minLrFraction;
        return switch (schedule) {
            case CONSTANT -> lr;
            case LINEAR -> floor + (lr - floor) * (1 - progress);
            case COSINE -> floor + (lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    /** Every setting that changes the result, as one line (checkpoints compare it). */
    public String fingerprint() {
        // micro-batches change the sums' rounding (not their value): a resume must use the same ones; without them the
        // fingerprint is what it was before they existed
        return String.format(Locale.ROOT, "mode=%s steps=%d lr=%s batch=%d seqlen=%d seed=%d schedule=%s warmup=%d min_lr=%s embeddings=%b pool=%d adam=%s,%s,%s",
                mode.cliName(), steps, lr, batch, seqLen, seed, schedule.cliName(), warmup, minLrFraction, trainEmbeddings,
                mode == Mode.BLOCKWISE ? poolWindows : 0, hyper.beta1(), hyper.beta2(), hyper.eps())
                + (microBatch > 0 && microBatch < batch ? " micro=" + microBatch : "");
    }
}
