#!/usr/bin/env bash
# Installs node-llama-cpp (pinned, from npm, once) beside this script and runs one of its checks.
# Usage: scripts/llamacpp/run.sh ppl.mjs MODEL.gguf windows.json [--limit N]
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -d "$DIR/node_modules/node-llama-cpp" ]; then
  (cd "$DIR" && npm i -E --omit=optional --no-audit --no-fund node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1 >&2)
fi
script="$1"; shift
exec node "$DIR/$script" "$@"
