package dev.mixprune.bench;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.Matrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the GEMM and GEMV kernels on the shapes of calibration and decode work. Run
 * (after {@code mvn compile}) with
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:$(cat cp.txt) org.openjdk.jmh.Main GemmJmh}
 * where cp.txt comes from {@code mvn dependency:build-classpath -Dmdep.outputFile=cp.txt}.
 * Times are per call; GFLOP/s = 2 n k m / time. {@code scripts/bench-gemm.sh} is the quicker
 * side-by-side comparison with OpenBLAS.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmJmh {

    @State(Scope.Benchmark)
    public static class NtShape {
        /** n x k x m for C = A B^T. */
        @Param({"512x512x512", "2048x4096x4096", "2048x4096x11008", "8x4096x4096", "512x64x172"})
        public String shape;
        Matrix a, b, c;

        @Setup
        public void setup() {
            String[] d = shape.split("x");
            int n = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]), m = Integer.parseInt(d[2]);
            a = KernelBench.random(n, k, 1);
            b = KernelBench.random(m, k, 2);
            c = new Matrix(n, m);
        }
    }

    @State(Scope.Benchmark)
    public static class SquareShape {
        @Param({"512", "1024"})
        public int size;
        Matrix a, b, c;

        @Setup
        public void setup() {
            a = KernelBench.random(size, size, 1);
            b = KernelBench.random(size, size, 2);
            c = new Matrix(size, size);
        }
    }

    @State(Scope.Benchmark)
    public static class GemvShape {
        @Param({"4096x4096", "11008x4096"})
        public String shape;
        Matrix w;
        float[] x, y;

        @Setup
        public void setup() {
            String[] d = shape.split("x");
            int rows = Integer.parseInt(d[0]), cols = Integer.parseInt(d[1]);
            w = KernelBench.random(rows, cols, 3);
            x = KernelBench.random(1, cols, 4).data();
            y = new float[rows];
        }
    }

    @Benchmark
    public Matrix nt(NtShape s) {
        Gemm.nt(s.a, s.b, s.c, false);
        return s.c;
    }

    @Benchmark
    public Matrix nn(SquareShape s) {
        Gemm.nn(s.a, s.b, s.c, false);
        return s.c;
    }

    @Benchmark
    public Matrix tn(SquareShape s) {
        Gemm.tn(s.a, s.b, s.c, false);
        return s.c;
    }

    @Benchmark
    public float[] gemv(GemvShape s) {
        Gemv.multiply(s.w, s.x, s.y);
        return s.y;
    }
}
