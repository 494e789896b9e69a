package dev.mixprune.quant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bit-exactness against llama.cpp itself: ggml's {@code ggml_quantize_chunk} (what
 * {@code llama-quantize} calls; for Q8_0 / Q4_0 without an importance matrix it runs the
 * reference quantizers) from node-llama-cpp's libggml-base.so, called through FFM, on the same
 * floats, must produce the very bytes {@link GgmlBlocks} produces. And ggml's own
 * {@code dequantize_row_*} must give back our dequantized floats.
 */
class GgmlBlocksLlamaCppTest {
    private static final int GGML_TYPE_Q4_0 = 2, GGML_TYPE_Q8_0 = 8;

    /** Awkward inputs: ties at .5 steps, repeated and opposite-signed maxima, zeros, huge and tiny magnitudes. */
    static float[] inputs(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (rnd.nextInt(8)) {
                case 0 -> 0f;
                case 1 -> (rnd.nextInt(64) - 32) / 8f;            // dyadic: many exact halves after scaling
                case 2 -> (float) (rnd.nextGaussian() * 1e-5);
                case 3 -> (float) (rnd.nextGaussian() * 300);
                case 4 -> (rnd.nextBoolean() ? 1 : -1) * 7.75f;   // equal magnitudes, opposite signs
                default -> (float) rnd.nextGaussian();
            };
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0})
    void sameBytesAsGgmlQuantizeChunk(int type) throws Throwable {
        var lib = NodeLlamaCpp.require(NodeLlamaCpp.GGML_BASE);
        int rows = 37, cols = 32 * 9;
        int blockBytes = type == GGML_TYPE_Q8_0 ? GgmlBlocks.Q8_0_BLOCK_BYTES : GgmlBlocks.Q4_0_BLOCK_BYTES;
        long bytes = (long) rows * cols / 32 * blockBytes;
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup ggml = SymbolLookup.libraryLookup(lib, arena);
            Linker linker = Linker.nativeLinker();
            MethodHandle quantize = linker.downcallHandle(ggml.find("ggml_quantize_chunk").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS));
            MethodHandle dequantize = linker.downcallHandle(ggml.find(type == GGML_TYPE_Q8_0 ? "dequantize_row_q8_0" : "dequantize_row_q4_0").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            for (long seed = 1; seed <= 3; seed++) {
                float[] x = inputs(rows, cols, seed);
                MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                MemorySegment dst = arena.allocate(bytes);
                long written = (long) quantize.invokeExact(type, src, dst, 0L, (long) rows, (long) cols, MemorySegment.NULL);
                assertThat(written).isEqualTo(bytes);
                byte[] theirs = dst.toArray(ValueLayout.JAVA_BYTE);

                byte[] ours = new byte[(int) bytes];
                if (type == GGML_TYPE_Q8_0) GgmlBlocks.quantizeQ8_0(x, 0, x.length, ours, 0);
                else GgmlBlocks.quantizeQ4_0(x, 0, x.length, ours, 0);
                assertThat(ours).as("seed %d", seed).isEqualTo(theirs);

                MemorySegment back = arena.allocate(4L * x.length);
                dequantize.invokeExact(dst, back, (long) x.length);
                float[] ourBack = new float[x.length];
                if (type == GGML_TYPE_Q8_0) GgmlBlocks.dequantizeQ8_0(ours, 0, ourBack, 0, x.length);
                else GgmlBlocks.dequantizeQ4_0(ours, 0, ourBack, 0, x.length);
                assertThat(ourBack).isEqualTo(back.toArray(ValueLayout.JAVA_FLOAT));
            }
        }
    }
}
