#!/usr/bin/env bash
# Decode and prefill tokens/s: mixprune dense vs packed 2:4, 2:8 and a mixed plan (75% on average),
# against llama.cpp (node-llama-cpp 3.21.1, CPU, 2 threads) on the SAME dense F32 GGUF, in one run.
#
#   scripts/bench-decode.sh [--prefill P] [--decode D] [--rounds R] [--plans dense,2:4,2:8,mixed]
#                           [--shape "2048 5632 16 32"] [--threads "2 1"]
#
# Every engine runs once per thread count (default 2, then 1): llama.cpp's worker threads
# busy-wait on each other, so on an oversubscribed machine its 2-thread numbers can collapse
# (measured here: 0.85 vs 23 tok/s decode on a 168M model); the 1-thread rows show both engines
# without that effect. Ratios compare rows with the same thread count.
#
# Writes a synthetic LLaMA (dim 2048, hidden 5632, 16 layers, 32 heads, vocab 32000 taken from
# ../shared/models/llama-2-tiny-random; ~3.8 GB F32) to a temporary directory, deleted at the end.
# mixprune's packed variants are derived in memory from the same weights (magnitude N:M); "bytes"
# is the model's size with F32 values (packed layers: values + bit-packed indices). Each side is
# warmed up, then timed R times (best kept); the machine is shared, so compare ratios, not absolutes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFILL=64; DECODE=16; ROUNDS=1; PLANS="dense,2:4,2:8,mixed"; SHAPE="2048 5632 16 32"; THREADS="2 1"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefill) PREFILL="$2"; shift 2 ;;
    --decode) DECODE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --plans) PLANS="$2"; shift 2 ;;
    --shape) SHAPE="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    *) echo "usage: $0 [--prefill P] [--decode D] [--rounds R] [--plans LIST] [--shape \"dim hidden layers heads\"] [--threads \"2 1\"]" >&2; exit 2 ;;
  esac
done

source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-decode
JDK="$JAVA_HOME"
(cd "$ROOT" && mvn -B -q -ntp -Dstyle.color=never compile >&2)
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
VOCAB="$SHARED/models/llama-2-tiny-random/llama-2-tiny-random.gguf"
[ -f "$VOCAB" ] || { echo "bench-decode: $VOCAB not found" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mixprune-bench-decode.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
MODEL="$TMP/synthetic-f32.gguf"
JAVA=("$JDK/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx8g -cp "$ROOT/target/classes")

echo "bench-decode: writing the synthetic model ($SHAPE) ..." >&2
"${JAVA[@]}" dev.mixprune.bench.SyntheticLlama "$MODEL" "$VOCAB" $SHAPE 2> >(grep -v '^WARNING' >&2)
BYTES=$(stat -c %s "$MODEL")

for round in $(seq 1 "$ROUNDS"); do
  for t in $THREADS; do
    echo "bench-decode: round $round/$ROUNDS, $t threads: mixprune ($PLANS) ..." >&2
    "${JAVA[@]}" -Dmixprune.threads="$t" dev.mixprune.bench.DecodeBench "$MODEL" --plans "$PLANS" --prefill "$PREFILL" --decode "$DECODE" --rounds 2 2>/dev/null \
      | sed "s/^mixprune \([^ #]*\) /mixprune \1 t=$t /" | tee -a "$TMP/java.txt" >&2 || echo "bench-decode: mixprune run failed" >&2
    echo "bench-decode: round $round/$ROUNDS, $t threads: llama.cpp ..." >&2
    "$ROOT/scripts/llamacpp/run.sh" speed.mjs "$MODEL" --prefill "$PREFILL" --decode "$DECODE" --threads "$t" --rounds 2 \
      | sed "s/^llama.cpp dense /llama.cpp dense t=$t /" | tee -a "$TMP/llama.txt" >&2 || echo "bench-decode: llama.cpp run failed" >&2
  done
done

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); model $SHAPE (dim hidden layers heads), vocab 32000, F32 GGUF $BYTES bytes; prefill $PREFILL tokens, decode $DECODE tokens, best of $ROUNDS rounds"
grep -m1 '^# kernels' "$TMP/java.txt" || true
python3 - "$TMP/java.txt" "$TMP/llama.txt" "$BYTES" <<'PYEOF'
import sys

def parse(path):
    best = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        key = tuple(parts[:3])  # engine, plan, t=threads
        vals = {p.split("=")[0]: float(p.split("=")[1]) for p in parts[3:] if "=" in p}
        old = best.get(key, {})
        best[key] = {k: (max(v, old.get(k, 0.0)) if k != "bytes" else v) for k, v in vals.items()}
    return best

java, llama = parse(sys.argv[1]), parse(sys.argv[2])
for v in llama.values():
    v["bytes"] = float(sys.argv[3])
print("%-26s %14s %10s %8s %9s %10s %8s %9s" % ("engine plan threads", "model bytes", "prefill/s", "x dense", "x llama", "decode/s", "x dense", "x llama"))
for t in sorted({k[2] for k in java} | {k[2] for k in llama}, reverse=True):
    dense = java.get(("mixprune", "dense", t))
    lc = llama.get(("llama.cpp", "dense", t))
    rows = [(k, v) for k, v in java.items() if k[2] == t] + ([(("llama.cpp", "dense", t), lc)] if lc else [])
    for key, v in rows:
        def r(k, base):
            return "%.2fx" % (v[k] / base[k]) if base and base.get(k) else "-"
        print("%-26s %14d %10.2f %8s %9s %10.3f %8s %9s" % (" ".join(key), v.get("bytes", 0), v.get("prefill_tps", 0), r("prefill_tps", dense),
              r("prefill_tps", lc), v.get("decode_tps", 0), r("decode_tps", dense), r("decode_tps", lc)))
PYEOF
