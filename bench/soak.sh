#!/usr/bin/env bash
# The soak (docs/reliability.md, "Soak"): the chat at a moderate steady load for a long time, the
# server in its own JVM, sampled every 10 s: RSS, heap after a full GC, threads, live processes, and
# the clients' p50/p99 delivery latency. Writes the samples (CSV) and an HTML report with inline SVG
# charts. Runs at the lowest CPU priority, so it can share a machine.
#
#   bench/soak.sh                       # 1 hour, 300 clients in 30 rooms, 60 messages/s
#   SOAK_SECONDS=600 bench/soak.sh      # 10 minutes
#   SOAK_CLIENTS=500 SOAK_ROOMS=50 SOAK_RATE=100 SOAK_REPORT=docs/soak.html bench/soak.sh
#
# Needs test classes compiled (./mvnw -o test-compile, done here unless SOAK_BUILD=0).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
SECONDS_TOTAL="${SOAK_SECONDS:-3600}"
CLIENTS="${SOAK_CLIENTS:-300}"
ROOMS="${SOAK_ROOMS:-30}"
RATE="${SOAK_RATE:-60}"
OUT="${SOAK_OUT:-target/soak}"
REPORT="${SOAK_REPORT:-$OUT/soak.html}"
SERVER_JVM=(${SOAK_SERVER_JVM:--Xms64m -Xmx512m -XX:+UseG1GC})
mkdir -p "$OUT"

if [ "${SOAK_BUILD:-1}" = 1 ]; then
  nice -n 19 ./mvnw -o -q test-compile dependency:build-classpath -Dmdep.outputFile="$OUT/classpath.txt" \
      -Dmdep.includeScope=test >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; exit 1; }
fi
# a copy of the classes, so that a rebuild while the soak runs does not change them under its JVMs
rm -rf "$OUT/classes" "$OUT/test-classes"
cp -r target/classes target/test-classes "$OUT/"
CP="$OUT/classes:$(cat "$OUT/classpath.txt")"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 2 | tail -n 1); server JVM: ${SERVER_JVM[*]}; both nice -n 19"
  echo "load: $CLIENTS clients, $ROOMS rooms, $RATE messages/s for $SECONDS_TOTAL s"
  echo "started $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

nice -n 19 "$JAVA_HOME/bin/java" "${SERVER_JVM[@]}" -cp "$CP" io.mailroom.MailroomApplication \
    --server.address=127.0.0.1 --server.port="$PORT" --mailroom.admin.password=soak \
    --logging.level.io.mailroom=WARN >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/actuator/health" >/dev/null; do
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$OUT/server.log"; exit 1; }
  sleep 1
done

nice -n 19 "$JAVA_HOME/bin/java" -Xmx1g -cp "$OUT/test-classes:$CP" io.mailroom.chaos.Soak \
    "$PORT" "$SERVER_PID" "$SECONDS_TOTAL" "$CLIENTS" "$ROOMS" "$RATE" "$OUT/samples.csv" "$REPORT"
echo "ended $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
echo "report: $REPORT; samples: $OUT/samples.csv"
