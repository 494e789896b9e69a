#!/usr/bin/env bash
# Uniform pruning of stories260K: perplexity on TinyStories valid (protocols.md P) for
# magnitude / Wanda / SparseGPT x {50%, 60%, 70%, 75%, 80%, 2:4, 4:8, 2:8, 1:4} (N:M = N kept of M),
# calibration per protocols.md C (calib.txt, 128 windows of 512, seed 0), pruned propagation.
# Prints a markdown table (docs/results.md "Uniform pruning"); manifests are kept in $OUT_DIR.
# Usage: scripts/prune-uniform.sh [OUT_DIR]   (env: METHODS, TARGETS, NSAMPLES to narrow a run)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$ROOT/target/prune-uniform}"
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
MODEL="$SHARED/models/stories260K/stories260K.bin"
TOK="$SHARED/models/stories260K/tok512.bin"
CALIB="$SHARED/data/tinystories/calib.txt"
VALID="$SHARED/data/tinystories/valid.txt"
METHODS="${METHODS:-magnitude wanda sparsegpt}"
TARGETS="${TARGETS:-0.5 0.6 0.7 0.75 0.8 2:4 4:8 2:8 1:4}"
NSAMPLES="${NSAMPLES:-128}"

source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 prune-uniform
JAR="$ROOT/target/mixprune.jar"
if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/src/main" -newer "$JAR" -print -quit)" ]; then
  (cd "$ROOT" && mvn -q -B -ntp -DskipTests package >&2)
fi
mkdir -p "$OUT_DIR"
run() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx4g -Dmixprune.projectRoot="$ROOT" \
    -jar "$JAR" prune "$@"
}

echo "| method | target | achieved sparsity | ppl |"
echo "|---|---|---:|---:|"
# Dense perplexity once (magnitude at sparsity 0 prunes nothing: exact k = 0).
run --model "$MODEL" --tokenizer "$TOK" --method magnitude --sparsity 0 --eval "$VALID" --out "$OUT_DIR/dense.bin" --json \
    > "$OUT_DIR/dense.json" 2> "$OUT_DIR/dense.log"
man="$OUT_DIR/dense.bin.manifest.json"
test "$(jq -r '.sparsity.zeros' "$man")" = 0
printf '| dense | - | %.4f | %.2f |\n' "$(jq -r '.sparsity.overall' "$man")" "$(jq -r '.perplexity.pruned.ppl' "$man")"
for m in $METHODS; do
  for t in $TARGETS; do
    name="$m-${t/:/of}"
    if [[ "$t" == *:* ]]; then flag=(--pattern "$t"); else flag=(--sparsity "$t"); fi
    run --model "$MODEL" --tokenizer "$TOK" --method "$m" "${flag[@]}" --calib "$CALIB" --nsamples "$NSAMPLES" --seed 0 \
        --eval "$VALID" --no-eval-dense --out "$OUT_DIR/$name.bin" --json > "$OUT_DIR/$name.json" 2> "$OUT_DIR/$name.log"
    man="$OUT_DIR/$name.bin.manifest.json"
    printf '| %s | %s | %.4f | %.2f |\n' "$m" "$t" "$(jq -r '.sparsity.overall' "$man")" "$(jq -r '.perplexity.pruned.ppl' "$man")"
  done
done
echo
echo "perplexity over $(jq -r '.perplexity.pruned.windows' "$man") windows x $(jq -r '.perplexity.pruned.seqlen' "$man") tokens ($(jq -r '.perplexity.pruned.tokens_scored' "$man") predictions)"
