#!/usr/bin/env bash
# Installs the pinned npm references once (scripts/test-deps.sh) and runs one of the checks beside this script.
# Usage: scripts/llamacpp/run.sh ppl.mjs MODEL.gguf windows.json [--limit N]
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$DIR/../test-deps.sh"
script="$1"; shift
exec node "$DIR/$script" "$@"
