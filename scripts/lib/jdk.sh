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

# Prints the JVM option for transparent huge pages when the kernel offers them to a process that asks (THP mode
# "always" or "madvise"), else nothing. For heaps on the parallel collector: decoding a packed 7B-shaped model at one
# thread ran at 26-42 tokens/s (2:8, 8-bit values) from one JVM to the next with 4 KiB pages and at 36-39 with 2 MiB
# pages (docs/benchmarks.md, session 9): the weights are streamed once per token. ZGC's heap is shared memory, which
# has its own kernel setting (shmem_enabled, "never" by default), so the launcher does not ask for it there.
thp_opt() {
  case "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)" in
    *"[always]"*|*"[madvise]"*) echo "-XX:+UseTransparentHugePages" ;;
  esac
}
