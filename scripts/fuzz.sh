#!/usr/bin/env bash
# The longer reader fuzz run (issue 13; docs/reliability.md): every random case of ReaderFuzzTest
# repeated ROUNDS times with derived seeds (default 50: ~150,000 damaged files), under the same
# 256 MiB heap as in the default suite. Usage: scripts/fuzz.sh [ROUNDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 fuzz.sh
cd "$ROOT"
ROUNDS="${1:-50}"
exec mvn -B -ntp test-compile surefire:test@fuzz -Dtest=ReaderFuzzTest -Dmixprune.fuzz.rounds="$ROUNDS"
