package dev.mixprune.quant;

import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Issue 16, session 7, lever "dense Q8_0 GEMV as an integer dot against the int8-quantized input
 * (as llama.cpp does)": the shipped float kernel ({@link Q8Kernels#gemv}: int8 widened to float,
 * FMA) against an integer kernel (per row and block of 32: quants widened to shorts, 16-bit
 * multiply with the int8 input quants, adjacent products summed into int lanes, converted once,
 * times input scale x weight scale) on a classifier-shaped matrix, side by side, both checked
 * against the double reference on the same quantized input. A development tool, not a test:
 * {@code java --add-modules jdk.incubator.vector -Dmixprune.threads=1 -cp target/classes:target/test-classes
 * dev.mixprune.quant.Q8IntGemvBench [ROWS COLS]} (default 32000 2048). 512-bit vectors only.
 */
public final class Q8IntGemvBench {
    private Q8IntGemvBench() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    static void integer(Q8Matrix w, short[] xq, float[] xs, float[] y) {
        int cols = w.cols(), nb = w.blocksPerRow();
        byte[] q = w.q;
        short[] sc = w.scales;
        for (int r = 0; r < w.rows(); r++) {
            int o = r * cols, s0 = r * nb;
            FloatVector total = FloatVector.zero(F);
            for (int b = 0; b < nb; b++) {
                int c = 32 * b;
                ShortVector wq = (ShortVector) ByteVector.fromArray(B, q, o + c).convertShape(VectorOperators.B2S, S, 0);
                IntVector p = wq.mul(ShortVector.fromArray(S, xq, c)).reinterpretAsInts();
                IntVector pairs = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                total = ((FloatVector) pairs.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, xs[b] * Float.float16ToFloat(sc[s0 + b])), total);
            }
            y[r] = total.reduceLanes(VectorOperators.ADD);
        }
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 32000, cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        if (F.length() != FloatVector.SPECIES_PREFERRED.length()) throw new IllegalStateException("needs 512-bit vectors");
        System.out.println("# " + KernelInfo.describe());
        SplittableRandom rnd = new SplittableRandom(16);
        Matrix d = new Matrix(rows, cols);
        float[] dd = d.data();
        for (int i = 0; i < dd.length; i++) dd[i] = (float) rnd.nextGaussian();
        Q8Matrix w = Q8Matrix.quantize(d);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
        short[] xq = new short[cols];
        float[] xs = new float[cols / 32], xd = new float[cols];
        for (int b = 0; b < cols / 32; b++) {
            float amax = 0f;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            float s = amax / 127f, inv = s != 0f ? 1f / s : 0f;
            xs[b] = s;
            for (int j = 0; j < 32; j++) {
                xq[32 * b + j] = (short) GgmlBlocks.roundHalfAway(x[32 * b + j] * inv);
                xd[32 * b + j] = xq[32 * b + j] * s;
            }
        }
        float[] ref = new float[rows], yf = new float[rows], yi = new float[rows];
        Gemv.reference(w.toDense(), xd, ref);
        Q8Kernels.gemv(w, xd, yf);
        integer(w, xq, xs, yi);
        double scale = 0, ef = 0, ei = 0;
        for (int r = 0; r < rows; r++) {
            scale = Math.max(scale, Math.abs(ref[r]));
            ef = Math.max(ef, Math.abs(yf[r] - ref[r]));
            ei = Math.max(ei, Math.abs(yi[r] - ref[r]));
        }
        if (ef > 1e-4 * scale || ei > 1e-4 * scale) throw new AssertionError("max error float " + ef + ", integer " + ei + " (max |y| " + scale + ")");
        double bf = Double.MAX_VALUE, bi = Double.MAX_VALUE;
        for (int rep = 0; rep < 40; rep++) {
            long t0 = System.nanoTime();
            Q8Kernels.gemv(w, xd, yf);
            long t1 = System.nanoTime();
            integer(w, xq, xs, yi);
            long t2 = System.nanoTime();
            bf = Math.min(bf, (t1 - t0) / 1e6);
            bi = Math.min(bi, (t2 - t1) / 1e6);
        }
        System.out.printf(Locale.ROOT, "# Q8_0 %dx%d (%d bytes), GEMV ms, best of 40 interleaved%n", rows, cols, w.memoryBytes());
        System.out.printf(Locale.ROOT, "float kernel (Q8Kernels.gemv) %8.3f%ninteger kernel               %8.3f  (%.2fx the float kernel)%n", bf, bi, bf / bi);
    }
}
