#!/usr/bin/env bash
# Streaming prune of a model larger than you would like to hold in memory: writes a synthetic
# LLaMA-7B-shaped F16 GGUF (dim 4096, hidden 11008, 32 blocks, 32 heads, vocab 32000; 13.5 GB)
# tensor by tensor, then prunes it block by block from the memory-mapped file, printing seconds
# per block and the peak RSS of each step (separate JVMs). Both files are deleted at the end.
#
# Default: magnitude N:M (--nm, default 2:4) into a packed GGUF (sparse.StreamingPacker, F16 values).
# --method wanda|sparsegpt|magnitude: `./mixprune prune` (calibrated, streaming, F16 GGUF out) with
# --sparsity 0.5 (or --nm N:M if given) on --nsamples x --seqlen TinyStories calibration windows
# (default 2 x 128), under /usr/bin/time -v; JVM options are the launcher's (MIXPRUNE_JAVA_OPTS).
#
#   scripts/bench-stream.sh [--nm 2:4] [--method wanda] [--nsamples 2] [--seqlen 128] [--shape "4096 11008 32 32"] [--dir DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NM="2:4"; NM_GIVEN=""; SHAPE="4096 11008 32 32"; DIR="${TMPDIR:-/tmp}"; METHOD=""; NSAMPLES=2; SEQLEN=128
while [ $# -gt 0 ]; do
  case "$1" in
    --nm) NM="$2"; NM_GIVEN=1; shift 2 ;;
    --method) METHOD="$2"; shift 2 ;;
    --nsamples) NSAMPLES="$2"; shift 2 ;;
    --seqlen) SEQLEN="$2"; shift 2 ;;
    --shape) SHAPE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    *) echo "usage: $0 [--nm N:M] [--method wanda|sparsegpt|magnitude] [--nsamples K] [--seqlen L] [--shape \"dim hidden layers heads\"] [--dir DIR]" >&2; exit 2 ;;
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
if [ -z "$METHOD" ]; then
  "${JAVA[@]}" dev.mixprune.bench.StreamBench prune "$TMP/in-f16.gguf" "$TMP/out-packed.gguf" "$NM" 2>/dev/null
  exit 0
fi
# Calibrated streaming prune through the launcher (its jar; built when stale).
"$ROOT/mixprune" --help >/dev/null 2>&1 || true
if [ -n "$NM_GIVEN" ]; then TARGET=(--pattern "$NM"); else TARGET=(--sparsity 0.5); fi
echo "# prune --method $METHOD ${TARGET[*]} --nsamples $NSAMPLES --seqlen $SEQLEN, JVM options: ${MIXPRUNE_JAVA_OPTS:-launcher default}"
/usr/bin/time -v "$ROOT/mixprune" prune --model "$TMP/in-f16.gguf" --method "$METHOD" "${TARGET[@]}" --nsamples "$NSAMPLES" --seqlen "$SEQLEN" \
  --out "$TMP/out-pruned.gguf" > "$TMP/prune-out.txt" 2> "$TMP/prune-err.txt" || { tail -20 "$TMP/prune-err.txt" >&2; exit 1; }
cat "$TMP/prune-out.txt"
grep -E "^prune: block [0-9]+/[0-9]+ done" "$TMP/prune-err.txt" | sed -n '1,2p;$p'
grep -E "^prune: block [0-9]+/[0-9]+ done" "$TMP/prune-err.txt" | awk '{ t = $6; io = $9; n++; s += t; sio += io; if (t > m) m = t }
  END { printf "blocks %d: mean %.2f s per block (of which read/write %.2f s), max %.2f s\n", n, s / n, sio / n, m }'
peak_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/prune-err.txt")
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$TMP/prune-err.txt")
awk -v peak="$peak_kb" -v wall="$wall" -v inb="$(stat -c %s "$TMP/in-f16.gguf")" -v outb="$(stat -c %s "$TMP/out-pruned.gguf")" 'BEGIN {
  printf "prune %s: in %.2f GB, out %.2f GB, peak RSS %.2f GiB, wall %s\n", "'"$METHOD"'", inb / 1e9, outb / 1e9, peak * 1024 / 2^30, wall }'
