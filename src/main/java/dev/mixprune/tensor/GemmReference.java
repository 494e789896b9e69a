package dev.mixprune.tensor;

/** Obviously-correct triple loops (double accumulation): the reference for the fast kernels. */
public final class GemmReference {
    private GemmReference() {}

    static void check(boolean ok, String msg) { if (!ok) throw new IllegalArgumentException(msg); }

    public static void nt(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        check(a.cols() == b.cols() && c.rows() == a.rows() && c.cols() == b.rows(),
                "nt shapes " + a.shape() + " * (" + b.shape() + ")^T -> " + c.shape());
        int n = a.rows(), m = b.rows(), k = a.cols();
        float[] A = a.data(), B = b.data(), C = c.data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) A[i * k + p] * B[j * k + p];
                C[i * m + j] = (float) (accumulate ? C[i * m + j] + s : s);
            }
        }
    }

    public static void nn(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        check(a.cols() == b.rows() && c.rows() == a.rows() && c.cols() == b.cols(),
                "nn shapes " + a.shape() + " * " + b.shape() + " -> " + c.shape());
        int n = a.rows(), m = b.cols(), k = a.cols();
        float[] A = a.data(), B = b.data(), C = c.data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) A[i * k + p] * B[p * m + j];
                C[i * m + j] = (float) (accumulate ? C[i * m + j] + s : s);
            }
        }
    }

    public static void tn(Matrix a, Matrix b, Matrix c, boolean accumulate) {
        check(a.rows() == b.rows() && c.rows() == a.cols() && c.cols() == b.cols(),
                "tn shapes (" + a.shape() + ")^T * " + b.shape() + " -> " + c.shape());
        int n = a.cols(), m = b.cols(), k = a.rows();
        float[] A = a.data(), B = b.data(), C = c.data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) A[p * n + i] * B[p * m + j];
                C[i * m + j] = (float) (accumulate ? C[i * m + j] + s : s);
            }
        }
    }
}
