#!/usr/bin/env bash
# llama.cpp cross-check of an exported pruned GGUF (issue 3, acceptance 5):
#   1. prune stories260K with Wanda 50% (protocols.md C calibration: 128 windows of 512, seed 0)
#      and export it as GGUF;
#   2. our perplexity of the pruned GGUF on TinyStories valid (protocols.md P), writing the exact
#      token windows it scores (ppl --dump-windows);
#   3. llama.cpp's perplexity on the SAME windows, from its own next-token probabilities
#      (node-llama-cpp 3.21.1, CPU, scripts/llamacpp/ppl.mjs);
#   4. both numbers and |ours - llama.cpp| / llama.cpp (goal < 1e-3).
# Usage: scripts/check-llamacpp-ppl.sh [--limit N] [--threads T] [OUT_DIR]
#   --limit N   score only the first N windows on both sides (default 40; 0 = all 376)
#   --threads T llama.cpp threads (default 1: fastest on a loaded 2-core machine)
# Exit status 0 when the relative difference is below 1e-3, 1 when it is not.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIMIT=40
THREADS=1
OUT_DIR="$ROOT/target/llamacpp-check"
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) LIMIT="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) OUT_DIR="$1"; shift ;;
  esac
done
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
# The llama2.c .bin says seq_len 512 (protocols C and P); the shared .gguf declares context 2048.
# Pruning the .bin and exporting GGUF writes context_length 512, so both sides use 512-token windows.
MODEL="$SHARED/models/stories260K/stories260K.bin"
SEQLEN=512
VALID="$SHARED/data/tinystories/valid.txt"
mkdir -p "$OUT_DIR"
PRUNED="$OUT_DIR/stories260K-wanda50.gguf"
WINDOWS="$OUT_DIR/windows.json"

echo "== 1. prune: Wanda 50% -> $PRUNED" >&2
"$ROOT/mixprune" prune --model "$MODEL" --method wanda --sparsity 0.5 --out "$PRUNED" --format gguf >&2

echo "== 2. mixprune ppl (limit $LIMIT)" >&2
limit_args=()
[ "$LIMIT" != "0" ] && limit_args=(--limit "$LIMIT")
OURS_JSON="$("$ROOT/mixprune" ppl --model "$PRUNED" --text "$VALID" --seqlen "$SEQLEN" --json --dump-windows "$WINDOWS" "${limit_args[@]}")"
echo "mixprune:  $OURS_JSON"

echo "== 3. llama.cpp ppl on the same windows (threads $THREADS)" >&2
THEIRS_JSON="$("$ROOT/scripts/llamacpp/run.sh" ppl.mjs "$PRUNED" "$WINDOWS" --threads "$THREADS")"
echo "llama.cpp: $THEIRS_JSON"

node -e '
const a = JSON.parse(process.argv[1]), b = JSON.parse(process.argv[2]);
if (a.windows !== b.windows || a.tokens !== b.tokens) {
  console.log(`MISMATCH: mixprune scored ${a.windows} windows / ${a.tokens} tokens, llama.cpp ${b.windows} / ${b.tokens}`);
  process.exit(1);
}
const rel = Math.abs(a.ppl - b.ppl) / b.ppl;
console.log(`ppl mixprune ${a.ppl.toFixed(6)}  llama.cpp ${b.ppl.toFixed(6)}  relative difference ${rel.toExponential(3)} (goal < 1e-3): ${rel < 1e-3 ? "OK" : "FAIL"}`);
process.exit(rel < 1e-3 ? 0 : 1);
' "$OURS_JSON" "$THEIRS_JSON"
