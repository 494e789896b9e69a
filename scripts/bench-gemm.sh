#!/usr/bin/env bash
# GEMM and GEMV benchmark: mixprune's Vector-API kernels against numpy/OpenBLAS, in ONE run.
#
#   scripts/bench-gemm.sh [--seconds S] [--rounds R]
#
# Shapes (C = A * B^T, A [n][k], B [m][k], the calibration forward): 2048x4096 * (4096x4096)^T,
# 2048x4096 * (11008x4096)^T and 512^3; reports GFLOP/s and the ratio to OpenBLAS. GEMV (decode):
# effective GB/s of F32 weights read for 4096x4096 and 11008x4096, against a plain memory-read loop
# measured by the same JVM. Each side runs R rounds alternately (best kept), so a busy machine hurts
# both alike. Besides wall-clock numbers it prints "cpu" numbers: flops per CPU-second of the
# process times the thread count, i.e. the speed with the cores to itself (useful when other jobs
# share the machine; OpenBLAS's idle spinning inflates its CPU time a little).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_CASE=3
ROUNDS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_CASE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    *) echo "usage: $0 [--seconds S] [--rounds R]" >&2; exit 2 ;;
  esac
done

# Debian's numpy linked against the pthread OpenBLAS (the comparison the project documents).
PY=/usr/bin/python3
if ! "$PY" -c 'import numpy, threadpoolctl' >/dev/null 2>&1; then
  echo "bench-gemm: installing python3-numpy, libopenblas0-pthread, python3-threadpoolctl" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy libopenblas0-pthread python3-threadpoolctl >&2
fi

source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-gemm
JDK="$JAVA_HOME"
(cd "$ROOT" && mvn -B -q -ntp -Dstyle.color=never compile >&2)

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
CASES="${BENCH_CASES:-gemm:512x512x512 gemm:2048x4096x4096 gemm:2048x4096x11008 gemv:4096x4096 gemv:11008x4096 memread:512}"

run_java() {
  "$JDK/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx6g \
    -cp "$ROOT/target/classes" dev.mixprune.bench.KernelBench --seconds "$SECONDS_PER_CASE" $CASES 2>/dev/null
}

run_numpy() {
  # OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some hosts for old OpenBLAS builds) slow a
  # current one down: unset for this command only, and print which kernel OpenBLAS picked.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" - "$SECONDS_PER_CASE" $CASES <<'PYEOF'
import sys, time
import numpy as np
import threadpoolctl

budget = float(sys.argv[1])
info = [i for i in threadpoolctl.threadpool_info() if i.get("internal_api") == "openblas"]
for i in info:
    print("# numpy %s OpenBLAS %s kernel=%s threads=%s (%s)" % (np.__version__, i["version"], i["architecture"],
          i["num_threads"], i["filepath"]))
threads = info[0]["num_threads"] if info else 1

def best(fn):
    for _ in range(3):
        fn()
    best_wall, cpu, runs = float("inf"), 0.0, 0
    end = time.perf_counter() + budget
    while runs < 3 or time.perf_counter() < end:
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        best_wall = min(best_wall, time.perf_counter() - t0)
        cpu += time.process_time() - c0
        runs += 1
        if runs >= 1000:
            break
    return best_wall, cpu / runs / threads

rng = np.random.default_rng(1)
for case in sys.argv[2:]:
    kind, dims = case.split(":")[:2]
    d = [int(x) for x in dims.split("x")]
    if kind == "gemm":
        n, k, m = d
        a = rng.uniform(-1, 1, (n, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        c = np.empty((n, m), np.float32)
        wall, cpu = best(lambda: np.matmul(a, b.T, out=c))
        f = 2.0 * n * k * m
        print("gemm nt %d %d %d gflops=%.2f cpu_gflops=%.2f" % (n, k, m, f / wall / 1e9, f / cpu / 1e9))
    elif kind == "gemv":
        r, cols = d
        w = rng.uniform(-1, 1, (r, cols)).astype(np.float32)
        x = rng.uniform(-1, 1, cols).astype(np.float32)
        y = np.empty(r, np.float32)
        wall, cpu = best(lambda: np.matmul(w, x, out=y))
        print("gemv %d %d gbps=%.2f cpu_gbps=%.2f" % (r, cols, 4.0 * r * cols / wall / 1e9, 4.0 * r * cols / cpu / 1e9))
PYEOF
}

for round in $(seq 1 "$ROUNDS"); do
  echo "bench-gemm: round $round/$ROUNDS: mixprune ..." >&2
  run_java >>"$OUT/java.txt"
  echo "bench-gemm: round $round/$ROUNDS: numpy ..." >&2
  run_numpy >>"$OUT/numpy.txt"
done

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
grep -m1 '^# kernels' "$OUT/java.txt" || true
grep -m1 '^# numpy' "$OUT/numpy.txt" || true
"$PY" - "$OUT/java.txt" "$OUT/numpy.txt" <<'PYEOF'
import re, sys

def parse(path):
    best = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        key = " ".join(p for p in parts if "=" not in p)
        vals = {p.split("=")[0]: float(p.split("=")[1]) for p in parts if "=" in p}
        old = best.get(key, {})
        best[key] = {k: max(v, old.get(k, 0.0)) for k, v in vals.items()}
    return best

java, numpy = parse(sys.argv[1]), parse(sys.argv[2])
print("%-26s %-8s %9s %9s %7s | %12s %12s %7s" % ("case", "unit", "mixprune", "OpenBLAS", "ratio", "mixprune cpu", "OpenBLAS cpu", "ratio"))
for key, jv in java.items():
    if key.startswith("gemm"):
        nv = numpy.get(key, {})
        unit = "GFLOP/s"
        w, c = "gflops", "cpu_gflops"
    elif key.startswith("gemv"):
        nv = numpy.get(key, {})
        unit = "GB/s"
        w, c = "gbps", "cpu_gbps"
    else:
        continue
    def ratio(a, b):
        return "%.2fx" % (a / b) if b else "-"
    print("%-26s %-8s %9.1f %9.1f %7s | %12.1f %12.1f %7s" % (key, unit, jv[w], nv.get(w, 0), ratio(jv[w], nv.get(w, 0)),
          jv[c], nv.get(c, 0), ratio(jv[c], nv.get(c, 0))))
print()
print("GEMV against a plain read loop over the same weights (alternated run by run in one JVM):")
for key, jv in java.items():
    if key.startswith("gemv") and "read_gbps" in jv:
        print("%-26s gemv %6.1f GB/s, read %6.1f GB/s: %.2fx | cpu: gemv %6.1f, read %6.1f: %.2fx" % (
            key, jv["gbps"], jv["read_gbps"], jv["gbps"] / jv["read_gbps"],
            jv["cpu_gbps"], jv["read_cpu_gbps"], jv["cpu_gbps"] / jv["read_cpu_gbps"]))
mem = [v for k, v in java.items() if k.startswith("memread")]
if mem:
    print("large-array read loop (512 MiB, same JVM): %.1f GB/s (cpu %.1f)" % (mem[0]["gbps"], mem[0]["cpu_gbps"]))
PYEOF
