#!/usr/bin/env bash
# Cluster throughput (issue 12): the same generation of MSP candidates (same genomes, same token sample) evaluated by
# 1 worker and by 2 workers, each worker a separate JVM with ONE kernel thread, this machine's loopback as the
# network, the coordinator a lite member that evaluates nothing. The model is a synthetic LLaMA written for the run
# (default dim 768, hidden 2048, 12 blocks, 12 heads, the 32k vocabulary of llama-2-tiny-random: 134 M parameters,
# F32, 0.5 GB), deleted afterwards. Prints evaluations/s of both, the ratio, the per-candidate overhead (coordinator
# wall time x workers minus the workers' own evaluation time, per candidate) as a fraction of one evaluation, and the
# TCP bytes the coordinator exchanged during the timed generation; checks that both runs give identical values.
# Timing: run it while holding the machine's bench lock, e.g. `flock /work/coord/bench.lock scripts/bench-cluster.sh`.
#
#   scripts/bench-cluster.sh [--candidates 24] [--tokens 256] [--shape "768 2048 12 12"] [--dir DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CANDIDATES=24; TOKENS=256; SHAPE="768 2048 12 12"; DIR="${TMPDIR:-/tmp}"
while [ $# -gt 0 ]; do
  case "$1" in
    --candidates) CANDIDATES="$2"; shift 2 ;;
    --tokens) TOKENS="$2"; shift 2 ;;
    --shape) SHAPE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    *) echo "usage: $0 [--candidates N] [--tokens T] [--shape \"dim hidden layers heads\"] [--dir DIR]" >&2; exit 2 ;;
  esac
done
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-cluster
"$ROOT/mixprune" --help >/dev/null 2>&1 || true   # builds target/mixprune.jar when stale
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
VOCAB="$SHARED/models/llama-2-tiny-random/llama-2-tiny-random.gguf"
TMP="$(mktemp -d "$DIR/mixprune-bench-cluster.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
JAVA=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
  -XX:+UseParallelGC -Xmx3g -cp "$ROOT/target/mixprune.jar")
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); uptime:$(uptime)"
# shellcheck disable=SC2086  # SHAPE is a word list
"${JAVA[@]}" dev.mixprune.bench.ClusterBench write "$TMP/synthetic.gguf" "$VOCAB" $SHAPE 2>/dev/null
"${JAVA[@]}" dev.mixprune.bench.ClusterBench run "$TMP/synthetic.gguf" "$CANDIDATES" "$TOKENS" 2> "$TMP/bench-err.txt" \
  || { tail -30 "$TMP/bench-err.txt" >&2; exit 1; }
grep -E "^cluster |worker .* ready" "$TMP/bench-err.txt" | sed 's/^/# /' || true
echo "# uptime after:$(uptime)"
