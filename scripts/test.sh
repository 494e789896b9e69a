#!/usr/bin/env bash
# The test command of the README: the default (fast) test suite on JDK 25.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/jdk.sh"
use_jdk25 test.sh
cd "$ROOT"
exec mvn -B -ntp test "$@"
