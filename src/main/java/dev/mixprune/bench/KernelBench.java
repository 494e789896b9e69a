package dev.mixprune.bench;

import dev.mixprune.tensor.Gemm;
import dev.mixprune.tensor.Gemv;
import dev.mixprune.tensor.KernelInfo;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Stand-alone kernel benchmark used by {@code scripts/bench-gemm.sh}: prints one line per
 * measurement, {@code gemm nt N K M gflops=...} / {@code gemv R C gbps=...} / {@code memread
 * gbps=...}, so the script can set them beside numpy's numbers measured in the same run.
 *
 * <p>Arguments: {@code gemm:NxKxM[:op]} (op nt, nn or tn; default nt), {@code gemv:RxC} (also
 * measures the plain read loop over the same weights, alternating with the GEMV),
 * {@code memread:MiB}, {@code chol:N} (SparseGPT's U of an N x N Hessian), {@code --seconds S}
 * (time budget per case, default 3).
 */
public final class KernelBench {
    private KernelBench() {}

    public static void main(String[] args) {
        double seconds = 3;
        List<String> cases = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seconds")) seconds = Double.parseDouble(args[++i]);
            else cases.add(args[i]);
        }
        if (cases.isEmpty()) cases = List.of("gemm:512x512x512", "gemm:2048x4096x4096", "gemv:4096x4096", "memread:256");
        System.out.println("# " + KernelInfo.describe());
        KernelInfo.warnIfScalar();
        for (String c : cases) {
            String[] parts = c.split(":");
            switch (parts[0]) {
                case "gemm" -> {
                    int[] d = dims(parts[1], 3);
                    String op = parts.length > 2 ? parts[2] : "nt";
                    double g = gemm(op, d[0], d[1], d[2], seconds);
                    System.out.printf(Locale.ROOT, "gemm %s %d %d %d gflops=%.2f cpu_gflops=%.2f%n", op, d[0], d[1], d[2], g,
                            2.0 * d[0] * d[1] * d[2] / lastCpuSeconds / 1e9);
                }
                case "gemv" -> {
                    int[] d = dims(parts[1], 2);
                    double[] g = gemvAndRead(d[0], d[1], seconds);
                    System.out.printf(Locale.ROOT, "gemv %d %d gbps=%.2f cpu_gbps=%.2f read_gbps=%.2f read_cpu_gbps=%.2f%n",
                            d[0], d[1], g[0], g[1], g[2], g[3]);
                }
                case "chol" -> {
                    int n = Integer.parseInt(parts[1]);
                    double t = cholesky(n, seconds);
                    System.out.printf(Locale.ROOT, "chol %d seconds=%.3f cpu_seconds=%.3f gflops=%.2f%n", n, t,
                            lastCpuSeconds * ThreadTeam.shared().size(), 2.0 * n * n * n / 3 / t / 1e9);
                }
                case "memread" -> {
                    int mib = Integer.parseInt(parts[1]);
                    double g = memRead(mib, seconds);
                    System.out.printf(Locale.ROOT, "memread %d gbps=%.2f cpu_gbps=%.2f%n", mib, g,
                            4.0 * mib * 262144 / lastCpuSeconds / 1e9);
                }
                default -> throw new IllegalArgumentException("unknown case " + c);
            }
        }
    }

    private static int[] dims(String s, int count) {
        String[] p = s.split("x");
        if (p.length != count) throw new IllegalArgumentException("expected " + count + " dims in " + s);
        int[] d = new int[count];
        for (int i = 0; i < count; i++) d[i] = Integer.parseInt(p[i]);
        return d;
    }

    static Matrix random(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
        return new Matrix(rows, cols, d);
    }

    /** Best GFLOP/s over repeated runs within the time budget (after warm-up runs). */
    static double gemm(String op, int n, int k, int m, double seconds) {
        Matrix a, b, c = new Matrix(n, m);
        switch (op) {
            case "nt" -> { a = random(n, k, 1); b = random(m, k, 2); }
            case "nn" -> { a = random(n, k, 1); b = random(k, m, 2); }
            case "tn" -> { a = random(k, n, 1); b = random(k, m, 2); }
            default -> throw new IllegalArgumentException("op " + op);
        }
        Runnable run = switch (op) {
            case "nt" -> () -> Gemm.nt(a, b, c, false);
            case "nn" -> () -> Gemm.nn(a, b, c, false);
            default -> () -> Gemm.tn(a, b, c, false);
        };
        double best = bestSeconds(run, seconds);
        return 2.0 * n * k * m / best / 1e9;
    }

    static double gemv(int rows, int cols, double seconds) {
        Matrix w = random(rows, cols, 3);
        float[] x = random(1, cols, 4).data();
        float[] y = new float[rows];
        double best = bestSeconds(() -> Gemv.multiply(w, x, y), seconds);
        return 4.0 * rows * cols / best / 1e9;
    }

    /**
     * GEMV and the plain read loop over the very same weight array, alternated run by run so that
     * a machine shared with other jobs slows both alike: {gemv GB/s, gemv cpu GB/s, read GB/s,
     * read cpu GB/s} (best wall time; mean CPU time per run / team size).
     */
    static double[] gemvAndRead(int rows, int cols, double seconds) {
        Matrix w = random(rows, cols, 3);
        float[] x = random(1, cols, 4).data();
        float[] y = new float[rows];
        float[] data = w.data();
        ThreadTeam team = ThreadTeam.shared();
        double[] sink = new double[team.size() * 4];
        Runnable gemv = () -> Gemv.multiply(w, x, y);
        Runnable read = () -> team.forChunks(0, data.length, team.size(), (lo, hi) ->
                sink[(int) ((long) lo * team.size() / data.length) % sink.length] += MemRead.sum(data, lo, hi));
        long warmEnd = System.nanoTime() + (long) (seconds / 3 * 1e9);
        for (int i = 0; i < 5 || (System.nanoTime() < warmEnd && i < 2000); i++) {
            gemv.run();
            read.run();
        }
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        long[] cpu = new long[2];
        int runs = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (runs < 5 || System.nanoTime() < end) {
            for (int v = 0; v < 2; v++) {
                long c = processCpuNanos();
                long t = System.nanoTime();
                (v == 0 ? gemv : read).run();
                best[v] = Math.min(best[v], (System.nanoTime() - t) / 1e9);
                cpu[v] += processCpuNanos() - c;
            }
            if (++runs >= 1000) break;
        }
        if (sink[0] == 12345) System.out.println();
        double bytes = 4.0 * rows * cols;
        double perRun = 1e9 * runs;
        return new double[]{bytes / best[0] / 1e9, bytes / (cpu[0] / perRun / team.size()) / 1e9,
                bytes / best[1] / 1e9, bytes / (cpu[1] / perRun / team.size()) / 1e9};
    }

    /**
     * SparseGPT's preparation on an n x n SPD matrix (X^T X / rows + 0.01 I): U with U^T U = H^-1
     * (factorization n^3/3 flops plus triangular inverse n^3/3). Returns the best wall seconds.
     */
    static double cholesky(int n, double seconds) {
        int rows = n + 16;
        Matrix x = random(rows, n, 6);
        Matrix g = dev.mixprune.tensor.Gemm.tn(x, x);
        double[] h = new double[n * n];
        for (int i = 0; i < h.length; i++) h[i] = g.data()[i] / rows;
        for (int i = 0; i < n; i++) h[i * n + i] += 0.01;
        return bestSeconds(() -> dev.mixprune.tensor.Cholesky.inverseUpperFactor(h, n), seconds);
    }

    /** Plain read bandwidth: every thread of the team sums its share of a large array. */
    static double memRead(int mib, double seconds) {
        float[] data = random(1, mib * 262144, 5).data();
        ThreadTeam team = ThreadTeam.shared();
        double[] sink = new double[team.size() * 4];
        double best = bestSeconds(() -> team.forChunks(0, data.length, team.size(), (lo, hi) ->
                sink[(lo * team.size() / data.length) % sink.length] += MemRead.sum(data, lo, hi)), seconds);
        if (sink[0] == 12345) System.out.println();
        return 4.0 * data.length / best / 1e9;
    }

    /**
     * Best wall time of one run within the time budget, after warm-up runs. Also records in
     * {@link #lastCpuSeconds} the mean process CPU time per run divided by the team size: on a machine
     * shared with other jobs that is the time the run would take with the cores to itself.
     */
    static double bestSeconds(Runnable r, double budget) {
        // Warm-up (JIT, caches): at least 5 runs and a third of the budget; C1-compiled Vector API
        // code is orders of magnitude slower than C2's, so short warm-ups measure the JIT.
        long warmEnd = System.nanoTime() + (long) (budget / 3 * 1e9);
        for (int i = 0; i < 5 || (System.nanoTime() < warmEnd && i < 2000); i++) r.run();
        double best = Double.MAX_VALUE;
        long cpuTotal = 0;
        int runs = 0;
        long end = System.nanoTime() + (long) (budget * 1e9);
        while (runs < 3 || System.nanoTime() < end) {
            long c = processCpuNanos();
            long t = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
            cpuTotal += processCpuNanos() - c;
            runs++;
            if (runs >= 1000) break;
        }
        lastCpuSeconds = cpuTotal / 1e9 / runs / ThreadTeam.shared().size();
        return best;
    }

    static double lastCpuSeconds;

    static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime();
        return 0;
    }
}
