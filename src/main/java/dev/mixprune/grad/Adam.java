package dev.mixprune.grad;

import dev.mixprune.tensor.ThreadTeam;

/**
 * Adam (Kingma and Ba, 2015) on float32 tensors, as {@code torch.optim.Adam} computes it without
 * weight decay: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², w ← w − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε).
 * One {@link Adam} per tensor holds that tensor's moments; with a {@link Mask} only the kept entries
 * are updated and only they have moments (stored compactly, row by row), so the masked entries keep
 * their value (zero) bit for bit.
 *
 * <p>A kept entry whose update lands exactly on 0.0 is set to the smallest float of its previous
 * sign instead, so that the set of zeros of a recovered model is exactly the pruned model's (what
 * the mask says), not the mask plus a chance underflow. The update is element-wise, so the result
 * does not depend on the thread count.
 *
 * <p>The moments are allocated on first use (a step, or {@link #m()} / {@link #v()} for a checkpoint): the tensors of
 * a block that is only written or checked, not trained, cost no optimizer memory.
 */
public final class Adam {
    /** The step-independent hyper-parameters. */
    public record Hyper(double beta1, double beta2, double eps) {
        public static final Hyper DEFAULT = new Hyper(0.9, 0.999, 1e-8);

        public Hyper {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
                throw new IllegalArgumentException("Adam needs 0 <= beta1, beta2 < 1 and eps > 0, got " + beta1 + ", " + beta2 + ", " + eps);
            }
        }
    }

    private final Mask mask;
    private final int size;
    private final int moments;
    private float[] m, v;

    private Adam(Mask mask, int size) {
        this.mask = mask;
        this.size = size;
        this.moments = mask == null ? size : mask.kept();
    }

    private void allocate() {
        if (m == null) {
            m = new float[moments];
            v = new float[moments];
        }
    }

    /** Moments for every entry of a tensor of {@code size} values (norm gains, biases, embeddings). */
    public static Adam dense(int size) { return new Adam(null, size); }

    /** Moments for the kept entries of a masked weight. */
    public static Adam masked(Mask mask) { return new Adam(mask, mask.rows() * mask.cols()); }

    /** The mask (null for a dense tensor). */
    public Mask mask() { return mask; }

    /** The first and second moments (live arrays: kept entries only for a masked tensor), for checkpoints. */
    public float[] m() {
        allocate();
        return m;
    }

    public float[] v() {
        allocate();
        return v;
    }

    /** Bytes of the moments of a tensor with {@code trainable} entries. */
    public static long bytesFor(long trainable) { return 8L * trainable; }

    /**
     * One step at step number {@code t} (1 for the first) with learning rate {@code lr}:
     * updates {@code w} in place from the gradient {@code g} (both the full tensor, row-major).
     */
    public void step(float[] w, float[] g, double lr, long t, Hyper h, ThreadTeam team) {
        if (w.length != size || g.length < size) throw new IllegalArgumentException("tensor of " + w.length + " values, gradient of " + g.length + ", expected " + size);
        apply(w, g, false, lr, t, h, team);
    }

    /**
     * Values a compact gradient of this tensor holds ({@link #accumulate}, {@link #stepCompact}): its kept entries
     * for a masked tensor, every entry otherwise.
     */
    public int compactSize() { return moments; }

    /**
     * Adds the full-tensor gradient {@code g} to the compact gradient {@code acc} (kept entries only, in the
     * moments' order): gradient accumulation over micro-batches without a full-size buffer per tensor.
     */
    public void accumulate(float[] g, float[] acc, ThreadTeam team) {
        if (g.length < size || acc.length != moments) throw new IllegalArgumentException("gradient of " + g.length + " values, accumulator of " + acc.length + ", expected " + size + " and " + moments);
        if (mask == null) {
            team.forRange(0, size, 1 << 14, (lo, hi) -> {
                for (int i = lo; i < hi; i++) acc[i] += g[i];
            });
            return;
        }
        int cols = mask.cols();
        team.forRange(0, mask.rows(), Math.max(1, (1 << 14) / Math.max(1, cols)), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int j = mask.rowStart(r);
                for (int i = r * cols, end = i + cols; i < end; i++) if (mask.isKept(i)) acc[j++] += g[i];
            }
        });
    }

    /** {@link #step} with the gradient given compactly ({@link #compactSize()} values, e.g. accumulated): the same update, bit for bit. */
    public void stepCompact(float[] w, float[] compact, double lr, long t, Hyper h, ThreadTeam team) {
        if (w.length != size || compact.length != moments) throw new IllegalArgumentException("tensor of " + w.length + " values, compact gradient of " + compact.length + ", expected " + size + " and " + moments);
        apply(w, compact, true, lr, t, h, team);
    }

    /** The update; the gradient of kept entry i (moment j) is g[compact ? j : i]. */
    private void apply(float[] w, float[] g, boolean compact, double lr, long t, Hyper h, ThreadTeam team) {
        if (t < 1) throw new IllegalArgumentException("Adam step numbers start at 1, got " + t);
        allocate();
        float b1 = (float) h.beta1(), b2 = (float) h.beta2(), c1 = (float) (1 - h.beta1()), c2 = (float) (1 - h.beta2());
        float stepSize = (float) (lr / (1 - Math.pow(h.beta1(), t)));
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(h.beta2(), t)));
        float eps = (float) h.eps();
        if (mask == null) {
            team.forRange(0, size, 1 << 14, (lo, hi) -> {
                for (int i = lo; i < hi; i++) w[i] = update(w[i], g[i], i, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, false);
            });
            return;
        }
        int cols = mask.cols();
        team.forRange(0, mask.rows(), Math.max(1, (1 << 14) / Math.max(1, cols)), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int j = mask.rowStart(r);
                for (int i = r * cols, end = i + cols; i < end; i++) {
                    if (mask.isKept(i)) {
                        w[i] = update(w[i], g[compact ? j : i], j, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, true);
                        j++;
                    }
                }
            }
        });
    }

    private float update(float w, float g, int j, float b1, float b2, float c1, float c2, float stepSize, float invSqrtBc2, float eps, boolean keepNonZero) {
        float mj = b1 * m[j] + c1 * g;
        float vj = b2 * v[j] + c2 * (g * g);
        m[j] = mj;
        v[j] = vj;
        float nw = w - stepSize * (mj / ((float) Math.sqrt(vj) * invSqrtBc2 + eps));
        return keepNonZero && nw == 0f ? Math.copySign(Float.MIN_VALUE, w) : nw;
    }
}
