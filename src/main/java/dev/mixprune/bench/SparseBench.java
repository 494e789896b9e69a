package dev.mixprune.bench;

import dev.mixprune.quant.Q8Kernels;
import dev.mixprune.quant.Q8Matrix;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
import dev.mixprune.sparse.SparseQ8Kernels;
import dev.mixprune.sparse.SparseKernels;
import dev.mixprune.sparse.SparsePrefill;
import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;

import java.util.Locale;

/**
 * Dense vs packed N:M kernels on one layer shape, side by side in one run: GEMV (decode) time and
 * GEMM (prefill, {@code tokens} rows) time, best of repeated runs, and the ratios to dense.
 * Usage: {@code SparseBench [ROWSxCOLS] [tokens] [N:M ...]}, default 11008x4096 128 2:4 2:8 1:8.
 */
public final class SparseBench {
    private SparseBench() {}

    public static void main(String[] args) {
        String shape = args.length > 0 ? args[0] : "11008x4096";
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        String[] patterns = args.length > 2 ? java.util.Arrays.copyOfRange(args, 2, args.length) : new String[]{"2:4", "2:8", "1:8"};
        int rows = Integer.parseInt(shape.split("x")[0]), cols = Integer.parseInt(shape.split("x")[1]);
        System.out.println("# " + KernelInfo.describe());
        Matrix dense = KernelBench.random(rows, cols, 1);
        Matrix x = KernelBench.random(tokens, cols, 2);
        float[] xv = KernelBench.random(1, cols, 3).data(), y = new float[rows];
        double gemvDense = best(() -> Gemv.multiply(dense, xv, y));
        double gemmDense = best(() -> Gemm.nt(x, dense));
        System.out.printf(Locale.ROOT, "%-6s %12s %10s %10s %12s %10s%n", "layer", "bytes", "gemv_ms", "x_dense", "gemm_ms", "x_dense");
        System.out.printf(Locale.ROOT, "%-6s %12d %10.3f %10.2f %12.3f %10.2f%n", "dense", 4L * rows * cols, gemvDense * 1e3, 1.0, gemmDense * 1e3, 1.0);
        if (Q8Matrix.fits(cols)) {
            Q8Matrix q8 = Q8Matrix.quantize(dense);
            double gv = best(() -> Q8Kernels.gemv(q8, xv, y));
            double gm = best(() -> Q8Kernels.gemm(x, q8));
            System.out.printf(Locale.ROOT, "%-6s %12d %10.3f %10.2f %12.3f %10.2f%n", "q8_0", q8.memoryBytes(), gv * 1e3, gemvDense / gv, gm * 1e3, gemmDense / gm);
            if (Q8Kernels.integerKernel()) {
                double iv = best(() -> Q8Kernels.gemvQuantizedInput(q8, xv, y));
                System.out.printf(Locale.ROOT, "%-6s %12d %10.3f %10.2f %12s %10s   (int8 input; float-path gemv / int-path gemv = %.2fx)%n",
                        "q8_0i", q8.memoryBytes(), iv * 1e3, gemvDense / iv, "-", "-", gv / iv);
            }
        }
        for (String p : patterns) {
            int n = Integer.parseInt(p.split(":")[0]), m = Integer.parseInt(p.split(":")[1]);
            PackedNM packed = PackedNM.pack(keepLargest(dense, n, m), n, m);
            double gv = best(() -> SparseKernels.gemv(packed, xv, y));
            double gm = best(() -> SparsePrefill.gemm(x, packed));
            System.out.printf(Locale.ROOT, "%-6s %12d %10.3f %10.2f %12.3f %10.2f%n", p, packed.storedBytes(4), gv * 1e3, gemvDense / gv, gm * 1e3, gemmDense / gm);
            PackedNMQ8 q = PackedNMQ8.quantize(packed);
            double qv = best(() -> SparseQ8Kernels.gemv(q, xv, y));
            double qm = best(() -> SparsePrefill.gemm(x, q));
            System.out.printf(Locale.ROOT, "%-6s %12d %10.3f %10.2f %12.3f %10.2f%n", p + "q8", q.storedBytes(), qv * 1e3, gemvDense / qv, qm * 1e3, gemmDense / qm);
            if (SparseQ8Kernels.integerKernel(q)) {
                double iv = best(() -> SparseQ8Kernels.gemvQuantizedInput(q, xv, y));
                System.out.printf(Locale.ROOT, "%-6s %12d %10.3f %10.2f %12s %10s   (int8 input; float-path gemv / int-path gemv = %.2fx)%n",
                        p + "q8i", q.storedBytes(), iv * 1e3, gemvDense / iv, "-", "-", qv / iv);
            }
        }
    }

    /** Magnitude N:M mask of a dense matrix (N kept per group of M). */
    static Matrix keepLargest(Matrix w, int n, int m) {
        Matrix out = w.copy();
        float[] d = out.data();
        for (int r = 0; r < w.rows(); r++) {
            for (int c0 = 0; c0 < w.cols(); c0 += m) {
                int len = Math.min(m, w.cols() - c0);
                for (int drop = 0; drop < len - n; drop++) {
                    int arg = -1;
                    for (int j = 0; j < len; j++) {
                        float v = d[r * w.cols() + c0 + j];
                        if (v != 0f && (arg < 0 || Math.abs(v) < Math.abs(d[r * w.cols() + c0 + arg]))) arg = j;
                    }
                    d[r * w.cols() + c0 + arg] = 0f;
                }
            }
        }
        return out;
    }

    private static double best(Runnable r) {
        for (int i = 0; i < 3; i++) r.run();
        double best = Double.MAX_VALUE;
        long end = System.nanoTime() + 2_000_000_000L;
        int runs = 0;
        while (runs < 5 || System.nanoTime() < end) {
            long t = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
            if (++runs > 200) break;
        }
        return best;
    }

}
