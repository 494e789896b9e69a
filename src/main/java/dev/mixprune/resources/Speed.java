package dev.mixprune.resources;

/**
 * The rates behind the time estimates of a {@link ResourcePlan}. Not measured at start-up (the
 * Vector API kernels run ~100x slower until the JIT has compiled them, so a short measurement would
 * be meaningless): per core, what the benchmarks of docs/benchmarks.md measured on this project's
 * 2-core machine, on a loaded machine rather than an idle one. Commands print their measured rates
 * and an ETA while they run.
 *
 * @param flopsPerSecond   float32 GEMM work of a batched forward (all cores)
 * @param weightsPerSecond dense weights read from the mapped file (dequantized to float32) and masked per second (all cores)
 */
public record Speed(double flopsPerSecond, double weightsPerSecond) {
    public static Speed assumed() {
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new Speed(cores * 40e9, cores * 0.25e9);
    }

    public String describe() {
        return String.format(java.util.Locale.ROOT, "assumes %.0f GFLOP/s and %.2f G weights/s read+masked", flopsPerSecond / 1e9, weightsPerSecond / 1e9);
    }
}
