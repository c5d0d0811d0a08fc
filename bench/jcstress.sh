#!/usr/bin/env bash
# Runs the jcstress tests of the lock-free core (docs/reliability.md, "jcstress").
#
#   ./mvnw -Pjcstress -Dmailroom.build.dir=target-jcstress -DskipTests package
#   bench/jcstress.sh -m quick                       # every test, quick mode
#   bench/jcstress.sh -m quick -t 'RunQueue.*'       # some (a regex over the test names)
#   bench/jcstress.sh -time 500 -iters 3 -t Mailbox  # any jcstress option: -h lists them
#
# jcstress needs as many CPUs as a test has actors: on 2 cores the tests have 2 actors each.
# Results: $BUILD_DIR/jcstress/ (results/index.html, jcstress-results-*.bin.gz, output.txt).
# BUILD_DIR defaults to target-jcstress (the -Dmailroom.build.dir used to build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
BUILD_DIR="${BUILD_DIR:-target-jcstress}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
OUT="$BUILD_DIR/jcstress"

if [ ! -f "$BUILD_DIR/jcstress-classpath.txt" ] || [ ! -f "$BUILD_DIR/test-classes/META-INF/TestList" ]; then
  echo "Not built: run ./mvnw -Pjcstress -Dmailroom.build.dir=${BUILD_DIR#$ROOT/} -DskipTests package first" >&2
  exit 1
fi
CP="$BUILD_DIR/test-classes:$BUILD_DIR/classes:$(cat "$BUILD_DIR/jcstress-classpath.txt")"
mkdir -p "$OUT"
cd "$OUT"
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 2 | tail -n 1)"
  echo "args: $*"
} | tee machine.txt
# The forked VMs inherit this class path and this VM's flags. jcstress loads JNA (for CPU
# affinity): allowing native access keeps JDK 24+'s warning about it out of every fork's report.
"$JAVA_HOME/bin/java" -Xmx512m --enable-native-access=ALL-UNNAMED -cp "$CP" org.openjdk.jcstress.Main \
  -r "$OUT/results" "$@" 2>&1 | tee output.txt
