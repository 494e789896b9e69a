package dev.mixprune.bench;

import dev.mixprune.sparse.NmMasks;
import dev.mixprune.sparse.PackedNM;
import dev.mixprune.sparse.PackedNMQ8;
import dev.mixprune.sparse.SparseQ8Kernels;
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
 * JMH benchmarks of the decode GEMV of packed N:M layers with 8-bit values: the float kernel on the
 * dequantized int8 input ({@code floatKernel}) against what decode runs ({@code decodeKernel}:
 * {@link SparseQ8Kernels#gemvQuantizedInput}, an integer kernel where one covers the layer, input
 * quantization included), on a 5632 x 2048 layer (a LLaMA-1B-class FFN). Eight distinct layers per
 * call so the weights stream from memory as in decode. Run as {@link GemmJmh} says; one thread by
 * default. {@code -jvmArgsAppend '-XX:UseAVX=2 ...'} shows an AVX2 machine's kernels on an AVX-512
 * one, but replaces the arguments below (the fork keeps the launching JVM's own, so
 * {@code --add-modules} survives, {@code -Dmixprune.threads=1} does not: repeat it).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dmixprune.threads=1"})
public class SparseQ8GemvJmh {
    private static final int LAYERS = 8;

    @State(Scope.Benchmark)
    public static class Layers {
        @Param({"2:4", "2:8", "1:8", "4:8"})
        public String pattern;
        PackedNMQ8[] w;
        float[] x, xq, y;

        @Setup
        public void setup() {
            int n = Integer.parseInt(pattern.split(":")[0]), m = Integer.parseInt(pattern.split(":")[1]);
            w = new PackedNMQ8[LAYERS];
            for (int l = 0; l < LAYERS; l++) {
                Matrix d = KernelBench.random(5632, 2048, 10 + l);
                w[l] = PackedNMQ8.quantize(PackedNM.pack(NmMasks.magnitude(d, n, m), n, m));
            }
            x = KernelBench.random(1, 2048, 3).data();
            xq = dev.mixprune.quant.QuantizedInput.of(x, 2048, 0).dequantized();
            y = new float[5632];
            for (PackedNMQ8 p : w) SparseQ8Kernels.gemvQuantizedInput(p, x, y); // builds any second layout outside the timing
        }
    }

    @Benchmark
    public float[] floatKernel(Layers s) {
        for (PackedNMQ8 p : s.w) SparseQ8Kernels.gemv(p, s.xq, s.y);
        return s.y;
    }

    @Benchmark
    public float[] decodeKernel(Layers s) {
        for (PackedNMQ8 p : s.w) SparseQ8Kernels.gemvQuantizedInput(p, s.x, s.y);
        return s.y;
    }
}
