#!/usr/bin/env bash
# Decode and prefill tokens/s of mixprune (dense and packed N:M, float32 and 8-bit weights) against
# llama.cpp (node-llama-cpp 3.21.1, CPU) on the same synthetic model in F32, Q8_0 and Q4_0, in one
# run, one table (issue 16's acceptance):
#
#   scripts/bench-decode.sh [--prefill P] [--decode D] [--rounds R] [--plans LIST] [--llama f32,q8_0,q4_0]
#                           [--shape "2048 5632 16 32"] [--threads "2 1"] [--isa native|avx2]
#
# Rows: llama.cpp F32 / Q8_0 / Q4_0 GGUF of the dense model (Q8_0 / Q4_0 written by `mixprune quantize`,
# bit-exact to llama.cpp's own quantizer); mixprune plans (default dense,dense-q8,2:4,2:4-q8,2:8,2:8-q8):
# `dense`, `N:M` (every linear magnitude-pruned to N:M and packed), `mixed` (3:8 / 2:8 / 1:8 by depth,
# 75% on average); the suffix `-q8` = 8-bit weights (dense linears and classifier Q8_0, packed layers
# with 8-bit kept values). Every engine runs once per thread count (default 2, then 1) and round;
# ratios compare rows with the same thread count; best of R rounds (and of 2 runs inside each).
# "bytes" is the model as a GGUF of that type stores it (packed: values + bit-packed indices).
#
# --isa avx2 measures both engines as an AVX2 machine would run them, on a machine with more: the JVM
# with -XX:UseAVX=2 (256-bit vectors: mixprune's 256-bit kernels), llama.cpp from a hard-linked copy of
# its package without the CPU backends that need more than AVX2 (it then loads libggml-cpu-haswell.so,
# the one llama.cpp builds for AVX2 + FMA + F16C). Same caches and memory as the machine's own, so an
# emulation of the instruction set, not of an older CPU. The backend llama.cpp loaded is printed.
#
# Writes a synthetic LLaMA (dim 2048, hidden 5632, 16 layers, 32 heads, vocab 32000 taken from
# ../shared/models/llama-2-tiny-random; ~3.8 GB F32, plus its Q8_0 and Q4_0 copies) to a temporary
# directory, deleted at the end. Run it under `flock /work/coord/bench.lock` on a shared machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ISA=native; PREFILL=64; DECODE=16; ROUNDS=1; PLANS="dense,dense-q8,2:4,2:4-q8,2:8,2:8-q8"; LLAMA="f32,q8_0,q4_0"; SHAPE="2048 5632 16 32"; THREADS="2 1"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefill) PREFILL="$2"; shift 2 ;;
    --decode) DECODE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --plans) PLANS="$2"; shift 2 ;;
    --llama) LLAMA="$2"; shift 2 ;;
    --shape) SHAPE="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --isa) ISA="$2"; shift 2 ;;
    *) echo "usage: $0 [--prefill P] [--decode D] [--rounds R] [--plans LIST] [--llama f32,q8_0,q4_0] [--shape \"dim hidden layers heads\"] [--threads \"2 1\"] [--isa native|avx2]" >&2; exit 2 ;;
  esac
done

case "$ISA" in native|avx2) ;; *) echo "bench-decode: --isa must be native or avx2, not '$ISA'" >&2; exit 2 ;; esac
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-decode
JDK="$JAVA_HOME"
(cd "$ROOT" && mvn -B -q -ntp -Dstyle.color=never compile >&2)
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
VOCAB="$SHARED/models/llama-2-tiny-random/llama-2-tiny-random.gguf"
[ -f "$VOCAB" ] || { echo "bench-decode: $VOCAB not found" >&2; exit 1; }
"$ROOT/scripts/test-deps.sh"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mixprune-bench-decode.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
MODEL="$TMP/synthetic-f32.gguf"
JAVA=("$JDK/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC $(thp_opt) -Xmx10g -cp "$ROOT/target/classes")
LLAMA_DIR="$ROOT/scripts/llamacpp"
if [ "$ISA" = avx2 ]; then
  JAVA+=(-XX:UseAVX=2)
  LLAMA_DIR="$TMP/llamacpp-avx2"
  mkdir -p "$LLAMA_DIR"
  cp -al "$ROOT/scripts/llamacpp/node_modules" "$LLAMA_DIR/" 2>/dev/null || cp -a "$ROOT/scripts/llamacpp/node_modules" "$LLAMA_DIR/"
  cp "$ROOT"/scripts/llamacpp/*.mjs "$LLAMA_DIR/"
  for so in "$LLAMA_DIR"/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-cpu-*.so; do
    case "$(basename "$so")" in
      libggml-cpu-x64.so|libggml-cpu-sse42.so|libggml-cpu-sandybridge.so|libggml-cpu-ivybridge.so|libggml-cpu-piledriver.so|libggml-cpu-haswell.so) ;;
      *) rm -f "$so" ;;  # a link: the package itself is untouched
    esac
  done
fi
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "bench-decode: writing the synthetic model ($SHAPE) ..." >&2
"${JAVA[@]}" dev.mixprune.bench.SyntheticLlama "$MODEL" "$VOCAB" $SHAPE 2> >(grep -v '^WARNING' >&2)
declare -A GGUF=([f32]="$MODEL")
for q in ${LLAMA//,/ }; do
  [ "$q" = f32 ] && continue
  echo "bench-decode: mixprune quantize --dtype $q ..." >&2
  GGUF[$q]="$TMP/synthetic-$q.gguf"
  "$ROOT/mixprune" quantize --model "$MODEL" --out "${GGUF[$q]}" --dtype "$q" >&2
done

for round in $(seq 1 "$ROUNDS"); do
  for t in $THREADS; do
    echo "bench-decode: round $round/$ROUNDS, $t threads: mixprune ($PLANS) ..." >&2
    "${JAVA[@]}" -Dmixprune.threads="$t" dev.mixprune.bench.DecodeBench "$MODEL" --plans "$PLANS" --prefill "$PREFILL" --decode "$DECODE" --rounds 2 2>/dev/null \
      | sed "s/^mixprune \([^ #]*\) /mixprune \1 t=$t /" | tee -a "$TMP/java.txt" >&2 || echo "bench-decode: mixprune run failed" >&2
    for q in ${LLAMA//,/ }; do
      echo "bench-decode: round $round/$ROUNDS, $t threads: llama.cpp $q ..." >&2
      node "$LLAMA_DIR/speed.mjs" "${GGUF[$q]}" --prefill "$PREFILL" --decode "$DECODE" --threads "$t" --rounds 2 \
        | sed "s/^llama.cpp dense /llama.cpp ${q^^} t=$t bytes=$(stat -c %s "${GGUF[$q]}") /" | tee -a "$TMP/llama.txt" >&2 || echo "bench-decode: llama.cpp $q run failed" >&2
    done
  done
done

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# instruction set: $ISA$([ "$ISA" = avx2 ] && echo ' (emulated: JVM -XX:UseAVX=2, llama.cpp without backends above AVX2)'); $(grep -m1 '^# llama.cpp CPU backend' "$TMP/llama.txt" | sed 's/^# //')"
echo "# model $SHAPE (dim hidden layers heads), vocab 32000; prefill $PREFILL tokens, decode $DECODE tokens; best of $ROUNDS round(s) x 2 runs"
grep -m1 '^# kernels' "$TMP/java.txt" || true
python3 - "$TMP/java.txt" "$TMP/llama.txt" <<'PYEOF'
import sys

def parse(path, best):
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        key = tuple(parts[:3])  # engine, plan, t=threads
        vals = {p.split("=")[0]: float(p.split("=")[1]) for p in parts[3:] if "=" in p}
        old = best.get(key, {})
        best[key] = {k: (max(v, old.get(k, 0.0)) if k != "bytes" else v) for k, v in vals.items()}

rows = {}
parse(sys.argv[1], rows)
parse(sys.argv[2], rows)
def get(engine, plan, t, k):
    return rows.get((engine, plan, t), {}).get(k)
def ratio(a, b):
    return "%.2fx" % (a / b) if a and b else "-"
print("%-24s %15s %10s %8s %10s %8s %9s" % ("engine plan threads", "bytes", "prefill/s", "x dense", "decode/s", "x dense", "x lc F32"))
threads = sorted({k[2] for k in rows}, reverse=True)
for t in threads:
    dense = rows.get(("mixprune", "dense", t), {})
    lc = rows.get(("llama.cpp", "F32", t), {})
    for key in sorted((k for k in rows if k[2] == t), key=lambda k: (k[0] != "llama.cpp", k[1])):
        v = rows[key]
        print("%-24s %15d %10.2f %8s %10.3f %8s %9s" % (" ".join(key), v.get("bytes", 0), v.get("prefill_tps", 0), ratio(v.get("prefill_tps"), dense.get("prefill_tps")),
              v.get("decode_tps", 0), ratio(v.get("decode_tps"), dense.get("decode_tps")), ratio(v.get("decode_tps"), lc.get("decode_tps"))))
print()
print("issue 16 goals (same run, same thread count):")
for t in threads:
    for desc, a, b, k in [("2:4-q8 decode / llama.cpp Q8_0 decode", ("mixprune", "2:4-q8"), ("llama.cpp", "Q8_0"), "decode_tps"),
                          ("2:8-q8 decode / llama.cpp Q4_0 decode", ("mixprune", "2:8-q8"), ("llama.cpp", "Q4_0"), "decode_tps"),
                          ("2:4 prefill / mixprune dense prefill", ("mixprune", "2:4"), ("mixprune", "dense"), "prefill_tps"),
                          ("2:4-q8 prefill / mixprune dense prefill", ("mixprune", "2:4-q8"), ("mixprune", "dense"), "prefill_tps")]:
        x, y = get(a[0], a[1], t, k), get(b[0], b[1], t, k)
        if x and y:
            goal = "> 1" if "decode" in desc else ">= 1"
            met = (x / y > 1) if "decode" in desc else (x / y >= 1)
            print("  %s %-42s %.2fx  (goal %s: %s)" % (t, desc, x / y, goal, "met" if met else "MISSED"))
PYEOF
