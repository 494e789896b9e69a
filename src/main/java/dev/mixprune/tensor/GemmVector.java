package dev.mixprune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector-API GEMM: C (n x m) = op(A) * op(B), row-major, in the BLIS style.
 *
 * <p>B is packed into column panels of NR = 2 vectors (per k step NR contiguous floats); A is read
 * in place, MR = 6 rows at a time (only a last partial group of rows is packed, zero padded). The
 * micro-kernel keeps a 6 x NR tile of C in 12 vector registers and does one broadcast + two FMAs
 * per row and k step. The k dimension is blocked by KC so that one packed B block (KC x NC) stays
 * in L2 while the A micro-panel (MR x KC) stays in L1; the B block is reused by every A
 * micro-panel. NT products with fewer than {@link #SKINNY_ROWS} rows go to {@link GemmSkinny}
 * instead (packing B would cost as much as the product), and so do NT products with fewer than
 * that many columns, computed as Cᵀ = B Aᵀ (a 6 x 32 tile would be mostly padding).
 *
 * <p>JIT note: the kernels are written out by hand, without helper calls taking vectors; a helper
 * that C2 declines to inline (NodeCountInliningCutoff) boxes its vector arguments and allocates
 * gigabytes per second.
 *
 * <p>Parallelism: the output is cut into a grid of (row block x column block) tasks that run on the
 * {@link ThreadTeam} without any synchronization between them; each task packs its own B block.
 *
 * <p>Only this class touches {@code jdk.incubator.vector} for GEMM, so {@link Gemm} can fall back to
 * scalar code when the module is missing.
 */
final class GemmVector {
    private GemmVector() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    /** k block: one B micro-panel (KC x NR floats) plus the A micro-panel fit comfortably in L2. */
    static final int KC = 256;
    /** Upper bound of the column block: KC x NC floats = 512 KiB at L=16, about half an L2. */
    static final int NC_MAX = Math.max(NR, (512 / NR) * NR);
    /** NT products with fewer rows (or columns) than this skip packing (see {@link GemmSkinny}). */
    static final int SKINNY_ROWS = 32;
    /** Below this many flops the team's wake-up costs more than it saves. */
    static final long PARALLEL_FLOPS = 1L << 21;

    /** How op(A) and op(B) are stored. */
    enum Layout {
        /** C = A B^T: A [n][k], B [m][k]. */
        NT,
        /** C = A B: A [n][k], B [k][m]. */
        NN,
        /** C = A^T B: A [k][n], B [k][m]. */
        TN
    }

    /** Per-thread scratch: packed B block, packed A micro-panel, edge tile. Reused across calls. */
    private static final class Scratch {
        float[] b = new float[0];
        final float[] a = new float[KC * MR];
        final float[] tile = new float[MR * NR];

        float[] b(int size) {
            if (b.length < size) b = new float[size];
            return b;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void gemm(Layout layout, float[] a, float[] b, float[] c, int n, int m, int k,
                     boolean accumulate, ThreadTeam team) {
        if (n == 0 || m == 0) return;
        if (k == 0) {
            if (!accumulate) java.util.Arrays.fill(c, 0, n * m, 0f);
            return;
        }
        if (layout == Layout.NT && n < SKINNY_ROWS) {
            GemmSkinny.nt(a, b, c, n, m, k, accumulate, team);
            return;
        }
        if (layout == Layout.NT && m < SKINNY_ROWS) {
            // Few columns (e.g. activations times a handful of vectors): a 6 x 32 tile would be
            // mostly padding. Cᵀ = B Aᵀ is the skinny case with the roles swapped.
            float[] t = new float[m * n];
            GemmSkinny.nt(b, a, t, m, n, k, false, team);
            for (int i = 0; i < n; i++) {
                int o = i * m;
                for (int j = 0; j < m; j++) c[o + j] = accumulate ? c[o + j] + t[j * n + i] : t[j * n + i];
            }
            return;
        }
        packed(layout, a, b, c, n, m, k, accumulate, team);
    }

    /** The packed path for any shape (tests call it directly for shapes gemm sends elsewhere). */
    static void packed(Layout layout, float[] a, float[] b, float[] c, int n, int m, int k,
                       boolean accumulate, ThreadTeam team) {
        long flops = 2L * n * m * k;
        int threads = flops < PARALLEL_FLOPS || ThreadTeam.insideTask() ? 1 : team.size();

        // Column blocks: at most NC_MAX wide; narrower when there are too few to keep threads busy.
        int nc = Math.min(NC_MAX, roundUp(m, NR));
        int wantTasks = threads == 1 ? 1 : 4 * threads;
        if (threads > 1 && ceilDiv(m, nc) < wantTasks) {
            nc = Math.max(NR, roundUp(ceilDiv(m, wantTasks), NR));
            // Keep blocks wide enough that repacking A per block stays cheap.
            nc = Math.min(Math.max(nc, Math.min(4 * NR, roundUp(m, NR))), NC_MAX);
        }
        int jBlocks = ceilDiv(m, nc);
        // Row blocks: only split rows when the columns alone cannot feed all threads.
        int iBlocks = 1;
        if (threads > 1 && jBlocks < wantTasks) {
            iBlocks = Math.min(ceilDiv(wantTasks, jBlocks), ceilDiv(n, MR));
        }
        int mc = roundUp(ceilDiv(n, iBlocks), MR);
        iBlocks = ceilDiv(n, mc);
        final int ncF = nc, mcF = mc, iBlocksF = iBlocks;
        int tasks = jBlocks * iBlocks;
        if (threads == 1 || tasks == 1) {
            for (int t = 0; t < tasks; t++) runTask(layout, a, b, c, n, m, k, accumulate, t, ncF, mcF, iBlocksF);
        } else {
            team.forChunks(0, tasks, tasks, (lo, hi) -> {
                for (int t = lo; t < hi; t++) runTask(layout, a, b, c, n, m, k, accumulate, t, ncF, mcF, iBlocksF);
            });
        }
    }

    private static void runTask(Layout layout, float[] a, float[] b, float[] c, int n, int m, int k,
                                boolean accumulate, int task, int nc, int mc, int iBlocks) {
        int jb = task / iBlocks, ib = task % iBlocks;
        int j0 = jb * nc, j1 = Math.min(m, j0 + nc);
        int i0 = ib * mc, i1 = Math.min(n, i0 + mc);
        Scratch s = SCRATCH.get();
        int panels = ceilDiv(j1 - j0, NR);
        float[] bp = s.b(panels * NR * KC);
        float[] ap = s.a;
        float[] tile = s.tile;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            boolean load = accumulate || p0 > 0;
            packB(layout, b, m, k, j0, j1, p0, kc, bp);
            for (int i = i0; i < i1; i += MR) {
                int rows = Math.min(MR, i1 - i);
                // Full groups of MR rows of op(A) are read in place (measured 1.6x faster than
                // packing for TN); only the last, partial group is packed with zero padding.
                boolean direct = layout != Layout.TN && rows == MR;
                boolean transposed = layout == Layout.TN && rows == MR;
                if (!direct && !transposed) packA(layout, a, n, k, i, rows, p0, kc, ap);
                for (int pj = 0; pj < panels; pj++) {
                    int j = j0 + pj * NR;
                    int cols = Math.min(NR, j1 - j);
                    int bOff = pj * NR * kc;
                    if (transposed && cols == NR) {
                        kernelTransposed(kc, a, p0 * n + i, n, bp, bOff, c, i * m + j, m, load);
                    } else if (transposed) {
                        kernelTransposed(kc, a, p0 * n + i, n, bp, bOff, tile, 0, NR, false);
                        mergeTile(tile, c, i, j, rows, cols, m, load);
                    } else if (direct && cols == NR) {
                        kernelDirect(kc, a, i * k + p0, k, bp, bOff, c, i * m + j, m, load);
                    } else if (rows == MR && cols == NR) {
                        kernel(kc, ap, bp, bOff, c, i * m + j, m, load);
                    } else if (direct) {
                        kernelDirect(kc, a, i * k + p0, k, bp, bOff, tile, 0, NR, false);
                        mergeTile(tile, c, i, j, rows, cols, m, load);
                    } else {
                        kernel(kc, ap, bp, bOff, tile, 0, NR, false);
                        mergeTile(tile, c, i, j, rows, cols, m, load);
                    }
                }
            }
        }
    }

    /** Writes (or adds) the valid rows x cols corner of an edge tile into C. */
    private static void mergeTile(float[] tile, float[] c, int i, int j, int rows, int cols, int m, boolean load) {
        for (int r = 0; r < rows; r++) {
            int co = (i + r) * m + j;
            for (int q = 0; q < cols; q++) {
                float v = tile[r * NR + q];
                c[co + q] = load ? c[co + q] + v : v;
            }
        }
    }

    /** Packs op(B) columns [j0, j1) x k range [p0, p0+kc) into NR-wide panels, zero padded. */
    static void packB(Layout layout, float[] b, int m, int k, int j0, int j1, int p0, int kc, float[] bp) {
        int panels = ceilDiv(j1 - j0, NR);
        for (int pj = 0; pj < panels; pj++) {
            int j = j0 + pj * NR;
            int cols = Math.min(NR, j1 - j);
            int base = pj * NR * kc;
            if (layout == Layout.NT && cols == NR) {
                // B is [m][k]: a panel is NR rows of B, transposed; a gather reads one column of
                // L rows at a time.
                int[] idx = gatherIndex(k);
                int r0 = j * k + p0, r1 = (j + L) * k + p0;
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(S, b, r0 + p, idx, 0).intoArray(bp, base + p * NR);
                    FloatVector.fromArray(S, b, r1 + p, idx, 0).intoArray(bp, base + p * NR + L);
                }
            } else if (layout == Layout.NT) {
                for (int q = 0; q < cols; q++) {
                    int src = (j + q) * k + p0;
                    for (int p = 0; p < kc; p++) bp[base + p * NR + q] = b[src + p];
                }
                for (int q = cols; q < NR; q++) {
                    for (int p = 0; p < kc; p++) bp[base + p * NR + q] = 0f;
                }
            } else {
                // B is [k][m]: each k step is a contiguous run of NR columns.
                if (cols == NR) {
                    for (int p = 0; p < kc; p++) {
                        int src = (p0 + p) * m + j;
                        int dst = base + p * NR;
                        FloatVector.fromArray(S, b, src).intoArray(bp, dst);
                        FloatVector.fromArray(S, b, src + L).intoArray(bp, dst + L);
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        int src = (p0 + p) * m + j;
                        int dst = base + p * NR;
                        for (int q = 0; q < cols; q++) bp[dst + q] = b[src + q];
                        for (int q = cols; q < NR; q++) bp[dst + q] = 0f;
                    }
                }
            }
        }
    }

    /** {0, k, 2k, ...}: lane offsets of a gather down a column of a row-major [.][k] matrix. */
    private static int[] gatherIndex(int k) {
        int[] idx = new int[L];
        for (int q = 0; q < L; q++) idx[q] = q * k;
        return idx;
    }

    /** Packs op(A) rows [i, i+rows) x k range [p0, p0+kc) as kc groups of MR floats, zero padded. */
    static void packA(Layout layout, float[] a, int n, int k, int i, int rows, int p0, int kc, float[] ap) {
        if (layout == Layout.TN) {
            // A is [k][n]: the MR values of one k step are contiguous.
            for (int p = 0; p < kc; p++) {
                int src = (p0 + p) * n + i;
                int dst = p * MR;
                for (int r = 0; r < rows; r++) ap[dst + r] = a[src + r];
                for (int r = rows; r < MR; r++) ap[dst + r] = 0f;
            }
        } else {
            // A is [n][k]: transpose MR rows.
            for (int r = 0; r < rows; r++) {
                int src = (i + r) * k + p0;
                for (int p = 0; p < kc; p++) ap[p * MR + r] = a[src + p];
            }
            for (int r = rows; r < MR; r++) {
                for (int p = 0; p < kc; p++) ap[p * MR + r] = 0f;
            }
        }
    }

    /**
     * The 6 x 2L register tile: C[0..6)[0..2L) (+)= sum_p ap[p][r] * bp[p][q]. Twelve accumulators,
     * two B vectors and one broadcast use 15 of the 16 (AVX2) or 32 (AVX-512) vector registers.
     */
    static void kernel(int kc, float[] ap, float[] bp, int bOff, float[] c, int cOff, int ldc, boolean load) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR;
            int ao = p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector x = FloatVector.broadcast(S, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // Written out (no helper call): a non-inlined helper would box its vector arguments.
        int o0 = cOff, o1 = cOff + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
        if (load) {
            c00 = c00.add(FloatVector.fromArray(S, c, o0));
            c01 = c01.add(FloatVector.fromArray(S, c, o0 + L));
            c10 = c10.add(FloatVector.fromArray(S, c, o1));
            c11 = c11.add(FloatVector.fromArray(S, c, o1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, o2));
            c21 = c21.add(FloatVector.fromArray(S, c, o2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, o3));
            c31 = c31.add(FloatVector.fromArray(S, c, o3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, o4));
            c41 = c41.add(FloatVector.fromArray(S, c, o4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, o5));
            c51 = c51.add(FloatVector.fromArray(S, c, o5 + L));
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + L);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + L);
    }

    /**
     * The same tile reading A in place (row-major, row stride lda, rows aOff, aOff+lda, ...): saves
     * packing A for NT and NN. Indices are "invariant + p", so the JIT removes the bounds checks.
     */
    static void kernelDirect(int kc, float[] a, int aOff, int lda, float[] bp, int bOff, float[] c, int cOff, int ldc,
                             boolean load) {
        int a0 = aOff, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + p]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // Written out (no helper call): a non-inlined helper would box its vector arguments.
        int o0 = cOff, o1 = cOff + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
        if (load) {
            c00 = c00.add(FloatVector.fromArray(S, c, o0));
            c01 = c01.add(FloatVector.fromArray(S, c, o0 + L));
            c10 = c10.add(FloatVector.fromArray(S, c, o1));
            c11 = c11.add(FloatVector.fromArray(S, c, o1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, o2));
            c21 = c21.add(FloatVector.fromArray(S, c, o2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, o3));
            c31 = c31.add(FloatVector.fromArray(S, c, o3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, o4));
            c41 = c41.add(FloatVector.fromArray(S, c, o4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, o5));
            c51 = c51.add(FloatVector.fromArray(S, c, o5 + L));
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + L);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + L);
    }

    /**
     * The same tile reading op(A) = Aᵀ in place for TN (A [k][n]: the six values of one k step are
     * contiguous at aOff + p * lda): saves packing A.
     */
    static void kernelTransposed(int kc, float[] a, int aOff, int lda, float[] bp, int bOff, float[] c, int cOff, int ldc,
                                 boolean load) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR;
            int ao = aOff + p * lda;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // Written out (no helper call): a non-inlined helper would box its vector arguments.
        int o0 = cOff, o1 = cOff + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
        if (load) {
            c00 = c00.add(FloatVector.fromArray(S, c, o0));
            c01 = c01.add(FloatVector.fromArray(S, c, o0 + L));
            c10 = c10.add(FloatVector.fromArray(S, c, o1));
            c11 = c11.add(FloatVector.fromArray(S, c, o1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, o2));
            c21 = c21.add(FloatVector.fromArray(S, c, o2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, o3));
            c31 = c31.add(FloatVector.fromArray(S, c, o3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, o4));
            c41 = c41.add(FloatVector.fromArray(S, c, o4 + L));
            c50 = c50.add(FloatVector.fromArray(S, c, o5));
            c51 = c51.add(FloatVector.fromArray(S, c, o5 + L));
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + L);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + L);
    }

    static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    static int roundUp(int a, int b) { return ceilDiv(a, b) * b; }
}
