#!/usr/bin/env bash
# Peak RSS of `mixprune prune` (Wanda) on a synthetic 8-block 4096-wide LLaMA-shaped model
# (issue 3, "Memory"). The model is written by the project itself (bench.SyntheticModel, llama2.c
# .bin, vocabulary 512 so tok512.bin tokenizes the shared calibration text), pruned with a few
# short calibration windows, and deleted afterwards.
# Usage: scripts/bench-prune-memory.sh [--dim 4096] [--hidden 11008] [--layers 8] [--nsamples 2] [--seqlen 128]
# Needs /usr/bin/time (apt-get install time). Prints the bound "one block float32 + activations"
# beside "Maximum resident set size".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIM=4096 HIDDEN=11008 LAYERS=8 HEADS=32 NSAMPLES=2 SEQLEN=128
while [ $# -gt 0 ]; do
  case "$1" in
    --dim) DIM="$2"; shift 2 ;;
    --hidden) HIDDEN="$2"; shift 2 ;;
    --layers) LAYERS="$2"; shift 2 ;;
    --heads) HEADS="$2"; shift 2 ;;
    --nsamples) NSAMPLES="$2"; shift 2 ;;
    --seqlen) SEQLEN="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-prune-memory
JAVA="$JAVA_HOME/bin/java"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mixprune-mem.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$ROOT/mixprune" --help >/dev/null 2>&1 || true   # builds target/mixprune.jar when stale
"$JAVA" --add-modules jdk.incubator.vector -Xmx2g -cp "$ROOT/target/mixprune.jar" dev.mixprune.bench.SyntheticModel \
  --dim "$DIM" --hidden "$HIDDEN" --layers "$LAYERS" --heads "$HEADS" --vocab 512 --seqlen 2048 --out "$WORK/synthetic.bin" 2>/dev/null
/usr/bin/time -v "$ROOT/mixprune" prune --model "$WORK/synthetic.bin" --tokenizer "$SHARED/models/stories260K/tok512.bin" \
  --method wanda --sparsity 0.5 --nsamples "$NSAMPLES" --seqlen "$SEQLEN" --out "$WORK/pruned.bin" 2> "$WORK/time.txt" | tail -3
grep -E "^prune: block [0-9]+/[0-9]+ done" "$WORK/time.txt" | tail -2 || true
peak_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")
awk -v d="$DIM" -v h="$HIDDEN" -v L="$LAYERS" -v n="$NSAMPLES" -v s="$SEQLEN" -v peak="$peak_kb" -v wall="$wall" 'BEGIN {
  gib = 1024 * 1024 * 1024
  block = (4 * d * d + 3 * d * h) * 4
  model = L * block
  acts = n * s * d * 4
  printf "model: %d blocks, dim %d, hidden %d: %.2f GiB of float32 weights (%.2f GiB per block)\n", L, d, h, model / gib, block / gib
  printf "bound (one block float32 + calibration activations %d x %d x %d): %.2f GiB\n", n, s, d, (block + acts) / gib
  printf "peak RSS (Maximum resident set size): %.2f GiB = %.1f x the bound; wall %s\n", peak * 1024 / gib, peak * 1024 / (block + acts), wall
}'
