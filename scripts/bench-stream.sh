#!/usr/bin/env bash
# Streaming prune of a model larger than you would like to hold in memory: writes a synthetic
# LLaMA-7B-shaped F16 GGUF (dim 4096, hidden 11008, 32 blocks, 32 heads, vocab 32000; 13.5 GB)
# tensor by tensor, then magnitude-prunes it to N:M (default 2:4) block by block from the
# memory-mapped file into a packed GGUF (F16 values), printing seconds per block and the peak RSS
# of each step (separate JVMs). Both files are deleted at the end.
#
#   scripts/bench-stream.sh [--nm 2:4] [--shape "4096 11008 32 32"] [--dir DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NM="2:4"; SHAPE="4096 11008 32 32"; DIR="${TMPDIR:-/tmp}"
while [ $# -gt 0 ]; do
  case "$1" in
    --nm) NM="$2"; shift 2 ;;
    --shape) SHAPE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    *) echo "usage: $0 [--nm N:M] [--shape \"dim hidden layers heads\"] [--dir DIR]" >&2; exit 2 ;;
  esac
done
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-stream
JDK="$JAVA_HOME"
(cd "$ROOT" && mvn -B -q -ntp -Dstyle.color=never compile >&2)
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
VOCAB="$SHARED/models/llama-2-tiny-random/llama-2-tiny-random.gguf"
echo "bench-stream: disk: $(df -h "$DIR" | tail -1)" >&2
TMP="$(mktemp -d "$DIR/mixprune-bench-stream.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
JAVA=("$JDK/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx3g -cp "$ROOT/target/classes")
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); shape $SHAPE, N:M $NM, JVM -Xmx3g"
"${JAVA[@]}" dev.mixprune.bench.StreamBench write "$TMP/in-f16.gguf" "$VOCAB" $SHAPE 2>/dev/null
"${JAVA[@]}" dev.mixprune.bench.StreamBench prune "$TMP/in-f16.gguf" "$TMP/out-packed.gguf" "$NM" 2>/dev/null
