#!/usr/bin/env bash
# The MSP table of docs/results.md: for each method and target, `mixprune run` (uniform, OWL, MSP
# allocations, each pruned with the method, perplexity on TinyStories valid). One Fisher file for all.
# Usage: scripts/msp-campaign.sh [OUT_DIR] [extra run flags...]   (about 5-10 minutes per line on 2 cores)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/runs/campaign}"; shift || true
JAR="${MIXPRUNE_JAR:-}"
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 msp-campaign
run() {
  if [ -n "$JAR" ]; then
    "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx8g -Dmixprune.projectRoot="$ROOT" -jar "$JAR" "$@"
  else
    "$ROOT/mixprune" "$@"
  fi
}
mkdir -p "$OUT"
MODEL="${MIXPRUNE_SHARED:-$ROOT/../shared}/models/stories260K/stories260K.bin"
[ -f "$OUT/fisher.json" ] || run sensitivity --model "$MODEL" --out "$OUT/fisher.json" >/dev/null
for method in wanda sparsegpt magnitude; do
  for spec in "0.70 unstructured" "0.75 unstructured" "0.80 unstructured" "0.75 nm:8"; do
    set -- $spec
    dir="$OUT/$method-$1-${2/:/}"
    [ -f "$dir/results.json" ] && grep -q '"msp"' "$dir/results.json" && continue
    echo "== $method $1 $2" >&2
    run run --model "$MODEL" --method "$method" --sparsity "$1" --levels "$2" --fisher "$OUT/fisher.json" \
      --no-models --quiet --out "$dir" > "$dir.txt" 2> "$dir.log" || echo "failed: $dir (see $dir.log)" >&2
    cat "$dir.txt"
  done
done
