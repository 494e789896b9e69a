#!/usr/bin/env bash
# Peak RSS of the streaming `mixprune prune` on a synthetic 8-block 4096-wide LLaMA-shaped model
# (issue 3, "Memory": "only the current block in float32 plus the calibration activations"). The
# model is written by the project itself (bench.SyntheticModel, llama2.c .bin, vocabulary 512 so
# tok512.bin tokenizes the shared calibration text), pruned with a few short calibration windows,
# and deleted afterwards.
# Usage: scripts/bench-prune-memory.sh [--method wanda|sparsegpt|magnitude] [--dim 4096] [--hidden 11008]
#                                      [--layers 8] [--nsamples 2] [--seqlen 128] [--format bin|gguf|safetensors]
# The JVM options are the launcher's (MIXPRUNE_JAVA_OPTS overrides them) and are printed.
# Needs /usr/bin/time (apt-get install time). Prints the bound "one block float32 + activations"
# beside "Maximum resident set size", and the per-block progress of the first and last blocks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIM=4096 HIDDEN=11008 LAYERS=8 HEADS=32 NSAMPLES=2 SEQLEN=128 METHOD=wanda FORMAT=bin
while [ $# -gt 0 ]; do
  case "$1" in
    --method) METHOD="$2"; shift 2 ;;
    --dim) DIM="$2"; shift 2 ;;
    --hidden) HIDDEN="$2"; shift 2 ;;
    --layers) LAYERS="$2"; shift 2 ;;
    --heads) HEADS="$2"; shift 2 ;;
    --nsamples) NSAMPLES="$2"; shift 2 ;;
    --seqlen) SEQLEN="$2"; shift 2 ;;
    --format) FORMAT="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$METHOD" in
  sparsegpt) TARGET=(--pattern 2:4) ;;
  *) TARGET=(--sparsity 0.5) ;;
esac
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 bench-prune-memory
JAVA="$JAVA_HOME/bin/java"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mixprune-mem.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$ROOT/mixprune" --help >/dev/null 2>&1 || true   # builds target/mixprune.jar when stale
LAUNCHER_OPTS="$(sed -n 's/.*MIXPRUNE_JAVA_OPTS:-\([^}]*\)}.*/\1/p' "$ROOT/mixprune")"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); method $METHOD ${TARGET[*]}, output $FORMAT, JVM heap option: ${MIXPRUNE_JAVA_OPTS:-$LAUNCHER_OPTS (launcher default)}"
"$JAVA" --add-modules jdk.incubator.vector -Xmx2g -cp "$ROOT/target/mixprune.jar" dev.mixprune.bench.SyntheticModel \
  --dim "$DIM" --hidden "$HIDDEN" --layers "$LAYERS" --heads "$HEADS" --vocab 512 --seqlen 2048 --out "$WORK/synthetic.bin" 2>/dev/null
/usr/bin/time -v "$ROOT/mixprune" prune --model "$WORK/synthetic.bin" --tokenizer "$SHARED/models/stories260K/tok512.bin" \
  --method "$METHOD" "${TARGET[@]}" --nsamples "$NSAMPLES" --seqlen "$SEQLEN" --format "$FORMAT" --out "$WORK/pruned.$FORMAT" \
  2> "$WORK/time.txt" | tail -3
grep -E "^prune: block [0-9]+/[0-9]+ done" "$WORK/time.txt" | sed -n '1p;$p' || true
grep -E "^prune: warning" "$WORK/time.txt" | head -3 || true
peak_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")
if [ -z "$peak_kb" ]; then cat "$WORK/time.txt" >&2; exit 1; fi
awk -v d="$DIM" -v h="$HIDDEN" -v L="$LAYERS" -v n="$NSAMPLES" -v s="$SEQLEN" -v peak="$peak_kb" -v wall="$wall" -v method="$METHOD" 'BEGIN {
  gib = 1024 * 1024 * 1024
  block = (4 * d * d + 3 * d * h) * 4
  model = L * block
  acts = n * s * d * 4
  printf "model: %d blocks, dim %d, hidden %d: %.2f GiB of float32 weights (%.2f GiB per block)\n", L, d, h, model / gib, block / gib
  printf "bound (one block float32 + calibration activations %d x %d x %d): %.2f GiB\n", n, s, d, (block + acts) / gib
  printf "peak RSS (Maximum resident set size): %.2f GiB = %.1f x the bound; wall %s\n", peak * 1024 / gib, peak * 1024 / (block + acts), wall
  if (method == "sparsegpt") {
    # What SparseGPT needs on top by its nature: float Gram matrices of the 4 inputs, and while the
    # widest Hessian (hidden x hidden) is factored, the double H, its reversed factor and U.
    gram = (3 * d * d + h * h) * 4
    fact = 3 * h * h * 8
    printf "sparsegpt also holds: Gram matrices %.2f GiB + factorization of the %d-wide Hessian %.2f GiB: bound + these = %.2f GiB\n", gram / gib, h, fact / gib, (block + acts + gram + fact) / gib
  }
}'
