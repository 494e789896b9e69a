#!/usr/bin/env bash
# Renders a mixprune report (HTML) to a PNG with headless Chromium, to look at it as a person would.
# Usage: scripts/render-report.sh REPORT.html [OUT.png] [WIDTH] [HEIGHT]
# Needs Debian's `chromium` (apt-get install -y chromium). No network is used: the report is self-contained.
set -euo pipefail
if [ $# -lt 1 ]; then echo "usage: $0 REPORT.html [OUT.png] [WIDTH] [HEIGHT]" >&2; exit 2; fi
HTML="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -f "$HTML" ] || { echo "$0: no such file: $1" >&2; exit 3; }
OUT="${2:-${HTML%.html}.png}"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
W="${3:-1000}"
H="${4:-4200}"
BROWSER="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$BROWSER" ] || { echo "$0: chromium not found (apt-get install -y chromium)" >&2; exit 1; }
PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT
"$BROWSER" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run \
  --user-data-dir="$PROFILE" --hide-scrollbars --window-size="$W,$H" --screenshot="$OUT" "file://$HTML" >/dev/null 2>&1
[ -s "$OUT" ] || { echo "$0: chromium wrote no screenshot" >&2; exit 1; }
echo "$OUT"
