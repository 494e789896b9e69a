package dev.mixprune.tensor;

/**
 * Matrix products on row-major float32 matrices. The three shapes the engine needs:
 * <ul>
 *   <li>{@link #nt}: C = A * B^T, A [n,k], B [m,k] (activations times a [out][in] weight);</li>
 *   <li>{@link #nn}: C = A * B, A [n,k], B [k,m] (backward dx = dy * W);</li>
 *   <li>{@link #tn}: C = A^T * B, A [k,n], B [k,m] (Hessians X^T X, weight gradients dy^T x).</li>
 * </ul>
 * With {@code accumulate} the product is added to C instead of overwriting it.
 * OWNER: tensor work (fast Vector-API kernels replace these bodies; naive references live in
 * {@link GemmReference}).
 */
public final class Gemm {
    private Gemm() {}

    public static Matrix nt(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.rows(), b.rows());
        nt(a, b, c, false);
        return c;
    }

    public static void nt(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        GemmReference.nt(a, b, c, accumulate);
    }

    public static Matrix nn(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.rows(), b.cols());
        nn(a, b, c, false);
        return c;
    }

    public static void nn(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        GemmReference.nn(a, b, c, accumulate);
    }

    public static Matrix tn(Matrix a, Matrix b) {
        Matrix c = new Matrix(a.cols(), b.cols());
        tn(a, b, c, false);
        return c;
    }

    public static void tn(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        GemmReference.tn(a, b, c, accumulate);
    }
}
