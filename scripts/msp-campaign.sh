#!/usr/bin/env bash
# The MSP campaign of docs/results.md (issue 15): for each method and setting, `mixprune run` with the
# baselines (uniform, owl-reference, owl: OUT/METHOD-SETTING/calS) and MSP (msp-calS) under several calibration
# seeds, extra MSP search seeds on the first calibration seed (msp-searchS), MSP again at each baseline's achieved
# sparsity where it differs from MSP's by more than 0.001 (equal-sparsity rows, msp-eq-BASELINE), WikiText-2 test
# perplexity of every pruned model, and the tables with mean ± sd and min–max. Cells already present in OUT_DIR
# are reused, so an interrupted campaign resumes. The program is frozen in OUT/mixprune.jar (delete it to rerun
# with a newer build; the msp rows of calS/searchS/eq-* directories are from before issue 15's budget fix and
# are not tabulated).
#
# Usage: scripts/msp-campaign.sh [options] [OUT_DIR]          (default OUT_DIR: runs/campaign)
#   --calib-seeds "0 1 2"     calibration seeds (every allocation; each seed also gets its own Fisher traces)
#   --search-seeds "0 1 2"    MSP search seeds (run --search-seed) on the first calibration seed
#   --methods "wanda sparsegpt magnitude"
#   --settings "0.70 0.75 0.80 nm8"   unstructured targets, and nm8 = mixed N:M with M = 8 at 0.75
#   --no-equal                no equal-sparsity MSP rows
#   --no-wiki                 no WikiText-2 test perplexity
#   --wiki-limit N            score only the first N of WikiText-2's 1,580 windows of 512 (ppl --limit; default 0 = all)
#   --tasks LIST              zero-shot tasks on every model of the first calibration seed (run --tasks; default none)
#   --task-limit N            documents per task (default 200)
#   --stage all|baselines|msp only the baseline runs (calS: uniform, owl-reference, owl) or only the MSP runs
#                             (msp-calS, msp-searchS, msp-eq-BASELINE); default all
#   --jar FILE                run this jar instead of OUT/mixprune.jar (e.g. the MSP stage with a newer search while
#                             the baselines keep the frozen program)
#   --tables                  only print the tables from what OUT_DIR holds
#   -- FLAGS...               passed to every `run` (e.g. -- --generations 10)
# The campaign measures quality, not time: run it niced (nice -n 10 scripts/msp-campaign.sh ...); it needs no
# bench lock. About 3 to 10 minutes per `run` on a shared 2-core machine; the full default campaign is
# 12 settings x (3 calibration seeds + 2 search seeds + up to 2 equal-sparsity runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${MIXPRUNE_SHARED:-$ROOT/../shared}"
CALIB_SEEDS="0 1 2"
SEARCH_SEEDS="0 1 2"
METHODS="wanda sparsegpt magnitude"
SETTINGS="0.70 0.75 0.80 nm8"
EQUAL=1
WIKI=1
WIKI_LIMIT=0
TASKS=none
TASK_LIMIT=200
TABLES_ONLY=0
STAGE=all
OUT=""
JAR_OPT=""
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --calib-seeds) CALIB_SEEDS="$2"; shift 2 ;;
    --search-seeds) SEARCH_SEEDS="$2"; shift 2 ;;
    --methods) METHODS="$2"; shift 2 ;;
    --settings) SETTINGS="$2"; shift 2 ;;
    --no-equal) EQUAL=0; shift ;;
    --no-wiki) WIKI=0; shift ;;
    --wiki-limit) WIKI_LIMIT="$2"; shift 2 ;;
    --tasks) TASKS="$2"; shift 2 ;;
    --task-limit) TASK_LIMIT="$2"; shift 2 ;;
    --tables) TABLES_ONLY=1; shift ;;
    --stage) STAGE="$2"; shift 2 ;;
    --jar) JAR_OPT="$2"; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "msp-campaign: unknown option $1" >&2; exit 2 ;;
    *) OUT="$1"; shift ;;
  esac
done
OUT="${OUT:-$ROOT/runs/campaign}"
command -v jq >/dev/null || { echo "msp-campaign: needs jq (apt-get install jq)" >&2; exit 1; }
MODEL="$SHARED/models/stories260K/stories260K.bin"
VALID="$SHARED/data/tinystories/valid.txt"
WIKITEXT="$SHARED/data/wikitext-2/wiki.test.raw"
[ -f "$WIKITEXT" ] || WIKITEXT="$(find "$SHARED/data" -name 'wiki.test.raw' | head -1)"
FIRST_CAL="${CALIB_SEEDS%% *}"
mkdir -p "$OUT"

# A frozen copy of the jar: rebuilding the worktree during a long campaign must not change its program.
JAR="${JAR_OPT:-$OUT/mixprune.jar}"
[ -z "$JAR_OPT" ] || [ -f "$JAR_OPT" ] || { echo "msp-campaign: --jar $JAR_OPT: no such file" >&2; exit 2; }
mx() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
    -Xmx3g -XX:MaxNewSize=256m -Dmixprune.projectRoot="$ROOT" -jar "$JAR" "$@" 2> >(grep -v 'Using incubator modules' >&2)
}

# setting -> "target pattern"
spec_of() { case "$1" in nm*) echo "0.75 nm:${1#nm}" ;; *) echo "$1 unstructured" ;; esac; }

# Runs `run` into DIR (skipped when DIR/results.json has every allocation asked for), then WikiText-2 for its models.
run_cell() {
  local dir="$1" allocs="$2"; shift 2
  local done=1 a
  for a in ${allocs//,/ }; do
    [ -f "$dir/results.json" ] && jq -e --arg a "$a" '.rows[] | select(.allocation == $a)' "$dir/results.json" >/dev/null || done=0
  done
  if [ "$done" = 0 ]; then
    echo "== $(date -u +%H:%M:%SZ) run $dir ($allocs)" >&2
    rm -rf "$dir"   # an interrupted cell starts again (run refuses a non-empty --out)
    mkdir -p "$(dirname "$dir")"
    if ! mx run --allocations "$allocs" --out "$dir" --quiet "$@" ${EXTRA[@]+"${EXTRA[@]}"} > "$dir.txt" 2> "$dir.log"; then
      echo "failed: $dir (see $dir.log)" >&2
      return 0
    fi
  fi
  if [ "$WIKI" = 1 ]; then
    local m name
    for m in "$dir"/model-*.bin; do
      [ -f "$m" ] || continue
      name="$(basename "$m" .bin)"; name="${name#model-}"
      [ -s "$dir/wiki-$name.json" ] && continue
      local lim=()
      [ "$WIKI_LIMIT" != 0 ] && lim=(--limit "$WIKI_LIMIT")
      mx ppl --model "$m" --text "$WIKITEXT" --seqlen 512 --json --quiet ${lim[@]+"${lim[@]}"} > "$dir/wiki-$name.json.tmp" 2>> "$dir.log" \
        && mv "$dir/wiki-$name.json.tmp" "$dir/wiki-$name.json" || echo "failed: wiki ppl of $m" >&2
    done
  fi
}

achieved() { jq -r --arg a "$2" '.rows[] | select(.allocation == $a) | .achieved_sparsity' "$1/results.json" 2>/dev/null; }

campaign() {
  source "$ROOT/scripts/lib/jdk.sh"
  use_jdk25 msp-campaign
  if [ ! -f "$JAR" ]; then
    "$ROOT/mixprune" --help >/dev/null   # builds target/mixprune.jar when missing or stale
    cp "$ROOT/target/mixprune.jar" "$JAR"
  fi
  local method setting target pattern cell s a acc msp
  if [ "$WIKI" = 1 ] && [ ! -s "$OUT/wiki-dense.json" ]; then
    local lim=()
    [ "$WIKI_LIMIT" != 0 ] && lim=(--limit "$WIKI_LIMIT")
    mx ppl --model "$MODEL" --text "$WIKITEXT" --seqlen 512 --json --quiet ${lim[@]+"${lim[@]}"} > "$OUT/wiki-dense.json"
  fi
  for method in $METHODS; do
    for setting in $SETTINGS; do
      read -r target pattern <<< "$(spec_of "$setting")"
      cell="$OUT/$method-$setting"
      # Baselines (calS) and MSP (msp-calS) are separate runs: the MSP search changed (issue 15's budget fix) while
      # the baselines did not, so baseline runs of the earlier program are kept and only MSP is rerun.
      for s in $CALIB_SEEDS; do
        [ "$STAGE" = msp ] && break
        local tasks=()
        [ "$TASKS" != none ] && [ "$s" = "$FIRST_CAL" ] && tasks=(--tasks "$TASKS" --task-limit "$TASK_LIMIT")
        run_cell "$cell/cal$s" "uniform,owl-reference,owl" --method "$method" --sparsity "$target" --levels "$pattern" \
          --seed "$s" ${tasks[@]+"${tasks[@]}"}
      done
      [ "$STAGE" = baselines ] && continue
      for s in $CALIB_SEEDS; do
        local tasks=() fs=()
        [ "$TASKS" != none ] && [ "$s" = "$FIRST_CAL" ] && tasks=(--tasks "$TASKS" --task-limit "$TASK_LIMIT")
        # The Fisher traces of calibration seed s (deterministic): reused from an earlier run when there is one.
        [ -f "$cell/cal$s/fisher.json" ] && fs=(--fisher "$cell/cal$s/fisher.json")
        run_cell "$cell/msp-cal$s" msp --method "$method" --sparsity "$target" --levels "$pattern" \
          --seed "$s" ${fs[@]+"${fs[@]}"} ${tasks[@]+"${tasks[@]}"}
      done
      local fisher="$cell/cal$FIRST_CAL/fisher.json"
      [ -f "$fisher" ] || fisher="$cell/msp-cal$FIRST_CAL/fisher.json"
      [ -f "$fisher" ] || continue
      if [ "$EQUAL" = 1 ]; then
        msp="$(achieved "$cell/msp-cal$FIRST_CAL" msp)"
        if [ -n "$msp" ]; then
          for a in uniform owl-reference owl; do
            acc="$(achieved "$cell/cal$FIRST_CAL" "$a")"
            [ -n "$acc" ] || continue
            # Only where MSP could land nearer: the baseline differs from MSP by > 0.001 and from the target by > 0.001
            # (at the target itself MSP's budget would be the same as in its own row).
            if awk -v x="$acc" -v y="$msp" -v t="$target" 'BEGIN { d = x - y; e = x - t; exit !((d > 0.001 || d < -0.001) && (e > 0.001 || e < -0.001)) }'; then
              run_cell "$cell/msp-eq-$a" msp --method "$method" --sparsity "$(printf '%.6f' "$acc")" --levels "$pattern" \
                --seed "$FIRST_CAL" --fisher "$fisher"
            fi
          done
        fi
      fi
      for s in $SEARCH_SEEDS; do
        [ "$s" = "$FIRST_CAL" ] && continue   # search seed = calibration seed: that is the msp-cal run
        run_cell "$cell/msp-search$s" msp --method "$method" --sparsity "$target" --levels "$pattern" --seed "$FIRST_CAL" \
          --search-seed "$s" --fisher "$fisher"
      done
    done
  done
}

# ---- tables ---------------------------------------------------------------------------------------------
# One line per (cell, allocation, run): method setting allocation kind seed achieved valid wiki
collect() {
  local method setting cell d kind seed
  for method in $METHODS; do
    for setting in $SETTINGS; do
      cell="$OUT/$method-$setting"
      # Baselines from calS; MSP only from msp-* runs (MSP rows of calS/searchS/eq-* are from before the budget fix).
      for d in "$cell"/cal* "$cell"/msp-*; do
        [ -f "$d/results.json" ] || continue
        kind="$(basename "$d")"; kind="${kind#msp-}"
        local want='.allocation != "dense" and .allocation != "msp"'
        case "$(basename "$d")" in msp-*) want='.allocation == "msp"' ;; esac
        jq -r --arg m "$method" --arg s "$setting" --arg k "$kind" \
          ".rows[] | select($want)"' | [$m, $s, .allocation, $k, .achieved_sparsity, (.ppl // "nan")] | @tsv' \
          "$d/results.json" | while IFS=$'\t' read -r m s a k ach ppl; do
            local w=nan
            [ -s "$d/wiki-$a.json" ] && w="$(jq -r '.ppl' "$d/wiki-$a.json")"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$s" "$a" "$k" "$ach" "$ppl" "$w"
          done
      done
    done
  done
}

tables() {
  local data
  data="$(collect)"
  [ -n "$data" ] || { echo "msp-campaign: no results under $OUT" >&2; return 0; }
  printf '%s\n' "$data" > "$OUT/cells.tsv"
  echo
  echo "Campaign $OUT: calibration seeds {$CALIB_SEEDS}; MSP search seeds {$SEARCH_SEEDS} on calibration seed $FIRST_CAL."
  local dw="not measured"
  [ -s "$OUT/wiki-dense.json" ] && dw="$(jq -r '"\(.ppl*100|round/100) on \(.windows) windows"' "$OUT/wiki-dense.json")"
  echo "Each cell: mean ± sd (min–max, n) of the perplexity; achieved sparsity mean (min–max). Dense: valid 4.63, WikiText-2 $dw."
  echo "MSP (calibration seeds) and MSP (search seeds) are separate rows; 'eq <baseline>' = MSP searched at that baseline's"
  echo "achieved sparsity (calibration seed $FIRST_CAL, search seed $FIRST_CAL)."
  printf '%s\n' "$data" | awk -F'\t' '
    function key(a, k) {
      if (k ~ /^cal/) return (a == "msp" ? "msp (calibration seeds)" : a)
      if (k ~ /^search/) return "msp (search seeds)"
      if (k ~ /^eq-/) { k = substr(k, 4); sub(/-s[0-9]+$/, "", k); return "msp eq " k }   # eq-NAME-sK: search seed K
      return a
    }
    function add(c, r, a5, a6, a7) {
      if (!((c, r) in has)) { has[c, r] = 1; rows[c, ++nr[c]] = r }
      n[c, r]++; i = n[c, r]
      ach[c, r, i] = a5; v[c, r, i] = a6; w[c, r, i] = a7
    }
    {
      c = $1 " " $2
      if (!(c in seen)) { seen[c] = 1; cells[++nc] = c }
      add(c, key($3, $4), $5, $6, $7)
      # The first calibration seed'"'"'s MSP row is also search seed '"$FIRST_CAL"' of the search-seed row (added at the end).
      if ($3 == "msp" && $4 == "cal'"$FIRST_CAL"'") { f5[c] = $5; f6[c] = $6; f7[c] = $7; hasFirst[c] = 1 }
    }
    function stats(arr, c, r, cnt,   j, s, s2, mn, mx, m, sd, k, x) {
      s = 0; s2 = 0; mn = 1e300; mx = -1e300; k = 0
      for (j = 1; j <= cnt; j++) { x = arr[c, r, j]; if (x == "nan" || x == "") continue; k++; s += x; s2 += x * x; if (x + 0 < mn) mn = x + 0; if (x + 0 > mx) mx = x + 0 }
      if (k == 0) return "-"
      # Sample sd from the deviations (two passes): s2 - k*m*m can round below zero for identical values (sqrt -> nan).
      m = s / k; sd = 0
      if (k > 1) { for (j = 1; j <= cnt; j++) { x = arr[c, r, j]; if (x == "nan" || x == "") continue; sd += (x - m) * (x - m) }; sd = sqrt(sd / (k - 1)) }
      if (k == 1) return sprintf("%.2f (n=1)", m)
      return sprintf("%.2f ± %.2f (%.2f–%.2f, n=%d)", m, sd, mn, mx, k)
    }
    function achs(c, r, cnt,   j, s, mn, mx) {
      s = 0; mn = 1; mx = 0
      for (j = 1; j <= cnt; j++) { s += ach[c, r, j]; if (ach[c, r, j] < mn) mn = ach[c, r, j]; if (ach[c, r, j] > mx) mx = ach[c, r, j] }
      return cnt == 1 || mn == mx ? sprintf("%.4f", s / cnt) : sprintf("%.4f (%.4f–%.4f)", s / cnt, mn, mx)
    }
    function minmax(c, r, cnt, col,   j, x, mn, mx) {
      mn = 1e300; mx = -1e300
      for (j = 1; j <= cnt; j++) { x = (col == "v" ? v[c, r, j] : w[c, r, j]); if (x == "nan" || x == "") continue; if (x + 0 < mn) mn = x + 0; if (x + 0 > mx) mx = x + 0 }
      lo = mn; hi = mx
    }
    END {
      for (ci = 1; ci <= nc; ci++) { c = cells[ci]; if ((c, "msp (search seeds)") in has && (c in hasFirst)) add(c, "msp (search seeds)", f5[c], f6[c], f7[c]) }
      print ""
      print "| method | setting | allocation | achieved | TinyStories valid ppl | WikiText-2 test ppl |"
      print "|---|---|---|---|---|---|"
      for (ci = 1; ci <= nc; ci++) {
        c = cells[ci]; split(c, cs, " ")
        for (ri = 1; ri <= nr[c]; ri++) {
          r = rows[c, ri]
          printf "| %s | %s | %s | %s | %s | %s |\n", cs[1], cs[2], r, achs(c, r, n[c, r]), stats(v, c, r, n[c, r]), stats(w, c, r, n[c, r])
        }
      }
      print ""
      print "Lead of MSP over the best baseline (valid ppl; calibration seeds): larger than the spread when MSP'\''s worst run"
      print "beats the best baseline'\''s best run."
      for (ci = 1; ci <= nc; ci++) {
        c = cells[ci]; m = "msp (calibration seeds)"
        if (!((c, m) in has)) continue
        minmax(c, m, n[c, m], "v"); mlo = lo; mhi = hi
        best = ""; blo = 1e300; bmean = 1e300
        for (ri = 1; ri <= nr[c]; ri++) {
          r = rows[c, ri]; if (r ~ /^msp/) continue
          s = 0; k = 0; for (j = 1; j <= n[c, r]; j++) if (v[c, r, j] != "nan") { s += v[c, r, j]; k++ }
          if (k && s / k < bmean) { bmean = s / k; best = r; minmax(c, r, n[c, r], "v"); blo = lo }
        }
        if (best == "") continue
        bhi = hi
        if (n[c, m] < 2 || n[c, best] < 2) verdict = (mhi < blo ? "MSP ahead" : (mlo > bhi ? "MSP behind" : "ranges overlap")) " (a single run on one side: no spread measured there)"
        else verdict = mhi < blo ? "larger than the spread" : (mlo > bhi ? "MSP behind" : "NOT larger than the spread (ranges overlap)")
        printf "- %s: MSP %.2f–%.2f (n=%d) vs %s %.2f–%.2f (n=%d; best baseline by mean): %s\n", c, mlo, mhi, n[c, m], best, blo, bhi, n[c, best], verdict
      }
    }'
  if compgen -G "$OUT/*/cal$FIRST_CAL/eval-*.json" >/dev/null; then
    echo
    echo "Zero-shot acc (calibration seed $FIRST_CAL; chance in parentheses), tasks above chance for the dense model only:"
    local f
    for f in "$OUT"/*/cal"$FIRST_CAL"/eval-*.json; do
      jq -r --arg f "$f" '.results | to_entries[] | [$f, .key, (.value["acc,none"] // "nan")] | @tsv' "$f"
    done
  fi
}

if [ "$TABLES_ONLY" = 0 ]; then campaign; fi
tables
