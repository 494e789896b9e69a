#!/usr/bin/env bash
# The test command of the README: the default (fast) test suite on JDK 25.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for d in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  if [ -n "$d" ] && [ -x "$d/bin/javac" ] && "$d/bin/java" -version 2>&1 | grep -Eq 'version "(2[5-9]|[3-9][0-9])'; then
    export JAVA_HOME="$d"; break
  fi
done
cd "$ROOT"
exec mvn -B -ntp test "$@"
