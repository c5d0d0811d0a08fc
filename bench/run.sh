#!/usr/bin/env bash
# Runs the benchmark suite (docs/benchmarks.md): Mailroom vs Pekko typed vs virtual threads.
#
#   ./mvnw -Pbench -Dmailroom.build.dir=target-bench -DskipTests package
#   bench/run.sh                      # everything, ~15 minutes on 2 cores
#   bench/run.sh 'W2.*|W5.*'          # only some workloads (a JMH regex)
#   BENCH_QUICK=1 bench/run.sh        # smoke run: 1 warmup + 1 measured iteration each
#   BENCH_MEMORY=0 bench/run.sh       # skip W1's memory measurement (BENCH_JMH=0 skips JMH)
#
# Results: $BUILD_DIR/bench/results.md (the table), jmh-result.json, jmh-output.txt, memory-*.txt.
# BUILD_DIR defaults to target-bench (the -Dmailroom.build.dir used to build). Fork JVM flags
# default to "-Xms8g -Xmx8g -Xmn512m -XX:+UseG1GC --sun-misc-unsafe-memory-access=allow"; override with
# BENCH_JVM_ARGS, or add to them with BENCH_JVM_ARGS_APPEND.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
BUILD_DIR="${BUILD_DIR:-target-bench}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
OUT="$BUILD_DIR/bench"

if [ ! -f "$BUILD_DIR/bench-classpath.txt" ] || [ ! -f "$BUILD_DIR/test-classes/META-INF/BenchmarkList" ]; then
  echo "Not built: run ./mvnw -Pbench -Dmailroom.build.dir=${BUILD_DIR#$ROOT/} -DskipTests package first" >&2
  exit 1
fi
CP="$BUILD_DIR/test-classes:$BUILD_DIR/classes:$(cat "$BUILD_DIR/bench-classpath.txt")"
mkdir -p "$OUT"

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/Mem:/ {print $2}') GiB,"\
       "$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 2 | tail -n 1)"
  echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

props=(
  "-Dbench.out=$OUT"
  "-Dbench.quick=$([ "${BENCH_QUICK:-0}" = 1 ] && echo true || echo false)"
  "-Dbench.memory=$([ "${BENCH_MEMORY:-1}" = 0 ] && echo false || echo true)"
  "-Dbench.jmh=$([ "${BENCH_JMH:-1}" = 0 ] && echo false || echo true)"
  "-Dlogback.configurationFile=$ROOT/bench/logback-bench.xml"
)
[ -n "${1:-}" ] && props+=("-Dbench.include=$1")
[ -n "${BENCH_JVM_ARGS:-}" ] && props+=("-Dbench.jvmArgs=$BENCH_JVM_ARGS")
[ -n "${BENCH_JVM_ARGS_APPEND:-}" ] && props+=("-Dbench.jvmArgsAppend=$BENCH_JVM_ARGS_APPEND")

"$JAVA_HOME/bin/java" -Xmx1g --sun-misc-unsafe-memory-access=allow "${props[@]}" -cp "$CP" io.mailroom.bench.BenchMain 2>&1 | tee "$OUT/jmh-output.txt"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
