#!/usr/bin/env bash
# Pruning benchmark (issue 3, "Performance"): time to prune ONE synthetic LLaMA-7B-shaped block
# (dim 4096, hidden 11008, 32 heads) per method, split into phases (calibration forward,
# statistics / X^T X, mask / OBS, re-run), with the GFLOP/s of the GEMM phases against the
# Gemm.nt 2048x4096x4096 ceiling measured in the same run. All arguments go to
# dev.mixprune.bench.PruneBench, e.g.
#   scripts/bench-prune.sh --seqs 1 --seqlen 2048 --pattern 0.5        # 1 window, extrapolated to 128
#   scripts/bench-prune.sh --dim 1024 --hidden 2752 --heads 8 --seqs 4 --seqlen 512   # scaled down
# Defaults are the issue's full setting (128 x 2048 tokens: hours on 2 cores; chunks of 16
# sequences fit in -Xmx16g, see docs/benchmarks.md). Heap: BENCH_XMX (default 12g).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/mixprune" --help >/dev/null 2>&1 || true   # builds target/mixprune.jar when stale
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-prune
JAVA="$JAVA_HOME/bin/java"
exec "$JAVA" --add-modules jdk.incubator.vector -XX:+UseParallelGC "-Xmx${BENCH_XMX:-12g}" \
  -cp "$ROOT/target/mixprune.jar" dev.mixprune.bench.PruneBench "$@"
