package dev.mixprune.tensor;

/**
 * Matrix products on row-major float32 matrices. The three shapes the engine needs:
 * <ul>
 *   <li>{@link #nt}: C = A * B^T, A [n,k], B [m,k] (activations times a [out][in] weight);</li>
 *   <li>{@link #nn}: C = A * B, A [n,k], B [k,m] (backward dx = dy * W);</li>
 *   <li>{@link #tn}: C = A^T * B, A [k,n], B [k,m] (Hessians X^T X, weight gradients dy^T x).</li>
 * </ul>
 * With {@code accumulate} the product is added to C instead of overwriting it. C must not share
 * its array with A or B. All three are dense row-major with no padding (see {@link Matrix}).
 * <p>The kernels ({@link GemmVector}) are packed, register-tiled and run on {@link ThreadTeam#shared()} (or a
 * given team). Every element of C is one fixed-order sum over k whatever the tiling, so results do
 * not depend on the number of threads;
 * accumulation is in float, so results differ from the double-precision {@link GemmReference}
 * by float rounding (relative error grows like sqrt(k) * 2^-24). Without the Vector API module the
 * scalar reference is used (and {@link KernelInfo} says so loudly).
 */
public final class Gemm {
    private Gemm() {}

    public static Matrix nt(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.rows(), b.rows());
        nt(a, b, c, false);
        return c;
    }

    public static void nt(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        nt(a, b, c, accumulate, ThreadTeam.shared());
    }

    /** As {@link #nt(Matrix, Matrix, Matrix, boolean)} on an explicit team (bounds the threads; results do not depend on its size). */
    public static void nt(Matrix a, Matrix b, Matrix c, boolean accumulate, ThreadTeam team) {
        GemmReference.check(a.cols() == b.cols() && c.rows() == a.rows() && c.cols() == b.rows(),
                "nt shapes " + a.shape() + " * (" + b.shape() + ")^T -> " + c.shape());
        checkNoAlias(a, b, c);
        if (!KernelInfo.vectorAvailable()) {
            GemmReference.nt(a, b, c, accumulate);
            return;
        }
        GemmVector.gemm(GemmVector.Layout.NT, a.data(), b.data(), c.data(), a.rows(), b.rows(), a.cols(),
                accumulate, team);
    }

    public static Matrix nn(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.rows(), b.cols());
        nn(a, b, c, false);
        return c;
    }

    public static void nn(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        nn(a, b, c, accumulate, ThreadTeam.shared());
    }

    /** As {@link #nn(Matrix, Matrix, Matrix, boolean)} on an explicit team (bounds the threads; results do not depend on its size). */
    public static void nn(Matrix a, Matrix b, Matrix c, boolean accumulate, ThreadTeam team) {
        GemmReference.check(a.cols() == b.rows() && c.rows() == a.rows() && c.cols() == b.cols(),
                "nn shapes " + a.shape() + " * " + b.shape() + " -> " + c.shape());
        checkNoAlias(a, b, c);
        if (!KernelInfo.vectorAvailable()) {
            GemmReference.nn(a, b, c, accumulate);
            return;
        }
        GemmVector.gemm(GemmVector.Layout.NN, a.data(), b.data(), c.data(), a.rows(), b.cols(), a.cols(),
                accumulate, team);
    }

    public static Matrix tn(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.cols(), b.cols());
        tn(a, b, c, false);
        return c;
    }

    public static void tn(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        tn(a, b, c, accumulate, ThreadTeam.shared());
    }

    /** As {@link #tn(Matrix, Matrix, Matrix, boolean)} on an explicit team (bounds the threads; results do not depend on its size). */
    public static void tn(Matrix a, Matrix b, Matrix c, boolean accumulate, ThreadTeam team) {
        GemmReference.check(a.rows() == b.rows() && c.rows() == a.cols() && c.cols() == b.cols(),
                "tn shapes (" + a.shape() + ")^T * " + b.shape() + " -> " + c.shape());
        checkNoAlias(a, b, c);
        if (!KernelInfo.vectorAvailable()) {
            GemmReference.tn(a, b, c, accumulate);
            return;
        }
        GemmVector.gemm(GemmVector.Layout.TN, a.data(), b.data(), c.data(), a.cols(), b.cols(), a.rows(),
                accumulate, team);
    }

    /** C is written while A and B are still read: sharing storage would give wrong results silently. */
    private static void checkNoAlias(Matrix a, Matrix b, Matrix c) {
        if (c.size() > 0 && (c.data() == a.data() || c.data() == b.data())) {
            throw new IllegalArgumentException("gemm output " + c.shape() + " shares its array with an input");
        }
    }
}
