package dev.mixprune.quant;

import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Issue 16: the dense Q8_0 decode GEMV in float ({@link Q8Kernels#gemv}: int8 widened to float,
 * FMA) against the integer kernel decode runs since session 8 ({@link Q8Kernels#gemvQuantizedInput}:
 * the input quantized to int8 per block of 32 on every call, 16-bit products, pair sums, one
 * conversion per block, two rows per pass), over K distinct matrices so that the weights stream from
 * memory as in a decode step; both checked against their double references first, then timed
 * interleaved in one JVM (best and median of the sweeps after a quarter of warm-up). A development
 * tool, not a test:
 * {@code java --add-modules jdk.incubator.vector -Dmixprune.threads=1 -cp target/classes:target/test-classes
 * dev.mixprune.quant.Q8IntGemvBench [ROWS COLS [K [SWEEPS]]]} (default 32000 2048 2 40).
 */
public final class Q8IntGemvBench {
    private Q8IntGemvBench() {}

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 32000, cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 2, sweeps = args.length > 3 ? Integer.parseInt(args[3]) : 40;
        System.out.println("# " + KernelInfo.describe() + "; integer kernel: " + Q8Kernels.integerKernel());
        SplittableRandom rnd = new SplittableRandom(16);
        Q8Matrix[] ws = new Q8Matrix[k];
        for (int l = 0; l < k; l++) {
            Matrix d = new Matrix(rows, cols);
            float[] dd = d.data();
            for (int i = 0; i < dd.length; i++) dd[i] = (float) rnd.nextGaussian();
            ws[l] = Q8Matrix.quantize(d);
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        float[] ref = new float[rows], refq = new float[rows], yf = new float[rows], yi = new float[rows];
        Q8Kernels.gemvReference(ws[0], x, ref);
        Q8Kernels.gemvQuantizedInputReference(ws[0], x, refq);
        Q8Kernels.gemv(ws[0], x, yf);
        Q8Kernels.gemvQuantizedInput(ws[0], x, yi);
        double scale = 0, ef = 0, ei = 0;
        for (int r = 0; r < rows; r++) {
            scale = Math.max(scale, Math.abs(ref[r]));
            ef = Math.max(ef, Math.abs(yf[r] - ref[r]));
            ei = Math.max(ei, Math.abs(yi[r] - refq[r]));
        }
        if (ef > 1e-4 * scale || ei > 1e-4 * scale) throw new AssertionError("max error float " + ef + ", integer " + ei + " (max |y| " + scale + ")");
        double[] tf = new double[sweeps], ti = new double[sweeps];
        for (int s = 0; s < sweeps; s++) {
            long t0 = System.nanoTime();
            for (Q8Matrix w : ws) Q8Kernels.gemv(w, x, yf);
            long t1 = System.nanoTime();
            for (Q8Matrix w : ws) Q8Kernels.gemvQuantizedInput(w, x, yi);
            long t2 = System.nanoTime();
            tf[s] = (t1 - t0) / 1e6 / k;
            ti[s] = (t2 - t1) / 1e6 / k;
        }
        double[] f = Arrays.copyOfRange(tf, sweeps / 4, sweeps), i = Arrays.copyOfRange(ti, sweeps / 4, sweeps);
        Arrays.sort(f);
        Arrays.sort(i);
        System.out.printf(Locale.ROOT, "# Q8_0 %dx%d x %d matrices (%d bytes each), GEMV ms per matrix, %d interleaved sweeps%n", rows, cols, k, ws[0].memoryBytes(), sweeps);
        System.out.printf(Locale.ROOT, "float kernel   (Q8Kernels.gemv)               best %8.3f  median %8.3f%n", f[0], f[f.length / 2]);
        System.out.printf(Locale.ROOT, "integer kernel (Q8Kernels.gemvQuantizedInput) best %8.3f  median %8.3f  (%.2fx / %.2fx the float kernel)%n",
                i[0], i[i.length / 2], f[0] / i[0], f[f.length / 2] / i[i.length / 2]);
    }
}
