# Sourced by the launcher and the scripts: exports JAVA_HOME as a JDK 25+ (the caller's JAVA_HOME
# if it is one, else the first under /usr/lib/jvm), or exits with a message naming the caller.
use_jdk25() {
  local who="${1:-mixprune}" d
  for d in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    if [ -n "$d" ] && [ -x "$d/bin/javac" ] && "$d/bin/java" -version 2>&1 | grep -Eq 'version "(2[5-9]|[3-9][0-9])'; then
      export JAVA_HOME="$d"
      return 0
    fi
  done
  echo "$who: no JDK 25+ found (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
  exit 1
}
