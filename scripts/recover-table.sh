#!/usr/bin/env bash
# The before/after-recovery table of docs/results.md (issue 17, acceptance 5): uniform / OWL / MSP pruned models
# of stories260K (Wanda and SparseGPT at 70/75/80%, 2:4 = mixed N:4 at 50%, mixed N:8 at 75%), each recovered with
# `mixprune recover` (global mode, default settings but for --steps) and evaluated on TinyStories valid (protocol P).
#
# Usage: scripts/recover-table.sh [options] [OUT_DIR]          (default OUT_DIR: runs/recover-table)
#   --cells "SPEC..."   cells to compute, in order; SPEC = METHOD:SETTING:ALLOCATIONS:STEPS[:SEEDS], e.g. wanda:0.75:uniform,msp:150
#                       or wanda:0.75:uniform:150:1,2 (recovery seeds, `recover --seed`; default 0)
#                       (SETTING: 0.70 0.75 0.80 unstructured targets, nm8 = mixed N:8 at 0.75, nm4 = mixed N:4 at 0.50,
#                       whose uniform allocation is 2:4). Default: the whole grid at 150 steps, 600 steps (the default
#                       budget) for Wanda 75% and 2:4, and 50 steps for uniform and MSP at Wanda 75% (the step-budget curve).
#   --campaign DIR      the MSP campaign whose pruned models (DIR/METHOD-SETTING/cal0/model-ALLOCATION.bin) are reused
#                       (read only; default ../wt/evidence/runs/campaign if present); a missing cell is made with
#                       `mixprune run --allocations uniform,owl,msp` into OUT_DIR/runs/METHOD-SETTING
#   --source LABEL=DIR  the pruned model of METHOD-SETTING-LABEL is DIR/model-ALLOCATION.bin (with DIR/results.json),
#                       where ALLOCATION is LABEL up to its first dot: e.g. --source wanda-0.75-msp.cal1=CAMPAIGN/wanda-0.75/msp-cal1
#                       and the allocation msp.cal1 in --cells (repeatable)
#   --tables            only print the table from what OUT_DIR holds
# A new jar (target/mixprune.jar) is frozen into OUT_DIR/mixprune.jar on first use, its `git describe` into
# OUT_DIR/mixprune.jar.rev; every model made or copied records that and its source in models/NAME.bin.json.
# Every pruned model is copied into OUT_DIR/models before use (the campaign may be rewritten meanwhile), every recovery
# writes OUT_DIR/cells/METHOD-SETTING-ALLOCATION-sSTEPS.bin and its manifest (before/after perplexity, losses, time);
# cells already present are skipped, so an interrupted table resumes. A quality grid, not a timing: run it niced
# (nice -n 10 scripts/recover-table.sh); about 1-3 minutes per recovery of 150 steps on a shared 2-core machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
CAMPAIGN=""
for c in "$ROOT/../evidence/runs/campaign" "$ROOT/runs/campaign"; do [ -z "$CAMPAIGN" ] && [ -d "$c" ] && CAMPAIGN="$c"; done
DEFAULT_CELLS="wanda:0.75:uniform,owl,msp:150 wanda:0.75:uniform,msp:50 wanda:0.80:uniform,owl,msp:150
wanda:nm8:uniform,owl,msp:150 sparsegpt:0.75:uniform,owl,msp:150 wanda:0.70:uniform,owl,msp:150 wanda:nm4:uniform,owl,msp:150
wanda:0.75:uniform,owl,msp:600 wanda:nm4:uniform,owl,msp:600 sparsegpt:0.70:uniform,owl,msp:150 sparsegpt:0.80:uniform,owl,msp:150
sparsegpt:nm8:uniform,owl,msp:150 sparsegpt:nm4:uniform,owl,msp:150"
CELLS="$DEFAULT_CELLS"
TABLES_ONLY=0
OUT=""
declare -A SOURCES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cells) CELLS="$2"; shift 2 ;;
    --campaign) CAMPAIGN="$2"; shift 2 ;;
    --source) SOURCES["${2%%=*}"]="${2#*=}"; shift 2 ;;
    --tables) TABLES_ONLY=1; shift ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "recover-table: unknown option $1" >&2; exit 2 ;;
    *) OUT="$1"; shift ;;
  esac
done
OUT="${OUT:-$ROOT/runs/recover-table}"
command -v jq >/dev/null || { echo "recover-table: needs jq (apt-get install jq)" >&2; exit 1; }
TEACHER="$SHARED/models/stories260K/stories260K.bin"
VALID="$SHARED/data/tinystories/valid.txt"
mkdir -p "$OUT/models" "$OUT/cells" "$OUT/runs"

# A frozen copy of the jar: rebuilding the worktree during the grid must not change its program.
JAR="$OUT/mixprune.jar"
mx() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
    -Xmx3g -XX:MaxNewSize=256m -Dmixprune.projectRoot="$ROOT" -jar "$JAR" "$@" 2> >(grep -v 'Using incubator modules' >&2)
}

# setting -> "target levels"
spec_of() { case "$1" in nm4) echo "0.50 nm:4" ;; nm*) echo "0.75 nm:${1#nm}" ;; *) echo "$1 unstructured" ;; esac; }

# The pruned model of METHOD-SETTING ALLOCATION, copied into OUT/models (with its achieved sparsity); makes the run when needed.
model_of() {
  local method="$1" setting="$2" label="$3" name="$1-$2" copy="$OUT/models/$1-$2-$3.bin"
  local alloc="${label%%.*}"
  if [ ! -f "$copy" ]; then
    local src=""
    if [ -n "${SOURCES[$name-$label]:-}" ]; then
      src="${SOURCES[$name-$label]}"
      [ -f "$src/model-$alloc.bin" ] && [ -f "$src/results.json" ] || { echo "failed: no $src/model-$alloc.bin" >&2; return 1; }
    elif [ "$label" != "$alloc" ]; then
      echo "failed: allocation $label needs --source $name-$label=DIR" >&2; return 1
    elif [ -n "$CAMPAIGN" ] && [ -f "$CAMPAIGN/$name/cal0/model-$alloc.bin" ] && [ -f "$CAMPAIGN/$name/cal0/results.json" ]; then
      src="$CAMPAIGN/$name/cal0"
    else
      src="$OUT/runs/$name"
      if [ ! -f "$src/results.json" ]; then
        local target levels
        read -r target levels <<< "$(spec_of "$setting")"
        echo "== $(date -u +%H:%M:%SZ) run $src" >&2
        rm -rf "$src"
        mx run --allocations uniform,owl,msp --out "$src" --quiet --method "$method" --sparsity "$target" --levels "$levels" \
          --seed 0 > "$src.txt" 2> "$src.log" || { echo "failed: run $src (see $src.log)" >&2; return 1; }
      fi
    fi
    jq --arg a "$alloc" --arg src "$src" --arg prog "$(program_of "$src")" '{source: $src, program: $prog, achieved_sparsity: (.rows[] | select(.allocation == $a) | .achieved_sparsity),
        ppl: (.rows[] | select(.allocation == $a) | .ppl)}' "$src/results.json" > "$copy.json.tmp"
    cp "$src/model-$alloc.bin" "$copy.tmp" && mv "$copy.tmp" "$copy" && mv "$copy.json.tmp" "$copy.json"
  fi
  echo "$copy"
}

# Which program made the pruned models in DIR: this grid's frozen jar for its own runs, else what DIR's manifest says.
program_of() {
  case "$1" in
    "$OUT"/runs/*) echo "recover-table jar $(cat "$JAR.rev" 2>/dev/null || echo '?')" ;;
    *) echo "$(jq -r '.mixprune // "?"' "$1/manifest.json" 2>/dev/null) $(stat -c %y "$1/results.json" | cut -c1-16)Z" ;;
  esac
}

recover_cell() {
  local method="$1" setting="$2" alloc="$3" steps="$4" seed="$5" model out
  out="$OUT/cells/$method-$setting-$alloc-s$steps$( [ "$seed" = 0 ] || echo "-r$seed").bin"
  [ -s "$out.manifest.json" ] && return 0
  model="$(model_of "$method" "$setting" "$alloc")" || return 0
  echo "== $(date -u +%H:%M:%SZ) recover $method $setting $alloc, $steps steps, seed $seed ($(uptime | sed 's/.*load/load/'))" >&2
  rm -f "$out.recover-checkpoint"
  mx recover --model "$model" --teacher "$TEACHER" --out "$out" --steps "$steps" --seed "$seed" --eval "$VALID" --quiet \
    > "$out.txt" 2> "$out.log" || echo "failed: recover $out (see $out.log)" >&2
}

table() {
  echo "| method | setting | allocation | achieved sparsity | program | before | after 50 steps | after 150 steps | after 600 steps |"
  echo "|---|---|---|---|---|---|---|---|---|"
  local m method setting alloc base sp prog before s50 s150 s600
  for m in "$OUT"/models/*.bin; do
    [ -f "$m" ] || continue
    base="$(basename "$m" .bin)"
    method="${base%%-*}"; alloc="${base##*-}"; setting="${base#"$method"-}"; setting="${setting%-"$alloc"}"
    sp="$(jq -r '.achieved_sparsity * 10000 | round / 10000' "$m.json")"
    prog="$(jq -r '.program // .source' "$m.json")"
    before="$(jq -r '.ppl * 100 | round / 100' "$m.json")"
    # every seed's perplexity after STEPS steps, seed 0 first, "r1 x" for the others
    after() {
      local f out="" s
      for f in "$OUT/cells/$base-s$1.bin.manifest.json" "$OUT/cells/$base-s$1-r"*.bin.manifest.json; do
        [ -s "$f" ] || continue
        s="${f##*-s$1}"; s="${s%.bin.manifest.json}"; s="${s#-}"
        out="$out${out:+, }${s:+$s }$(jq -r '.perplexity.after * 100 | round / 100' "$f")"
      done
      echo "$out"
    }
    s50="$(after 50)"; s150="$(after 150)"; s600="$(after 600)"
    echo "| $method | $setting | $alloc | $sp | $prog | $before | $s50 | $s150 | $s600 |"
  done
}

if [ "$TABLES_ONLY" = 0 ]; then
  source "$ROOT/scripts/lib/jdk.sh"
  use_jdk25 recover-table
  if [ ! -f "$JAR" ]; then
    "$ROOT/mixprune" --help >/dev/null   # builds target/mixprune.jar when missing or stale
    cp "$ROOT/target/mixprune.jar" "$JAR.tmp" && mv "$JAR.tmp" "$JAR"
    git -C "$ROOT" describe --always --dirty > "$JAR.rev"
  fi
  for spec in $CELLS; do
    IFS=: read -r method setting allocs steps seeds <<< "$spec"
    seeds="${seeds:-0}"
    for seed in ${seeds//,/ }; do
      for alloc in ${allocs//,/ }; do recover_cell "$method" "$setting" "$alloc" "$steps" "${seed}"; done
    done
  done
fi
table
