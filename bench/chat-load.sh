#!/usr/bin/env bash
# The WebSocket chat load benchmark (docs/benchmarks.md, "Chat over WebSocket"): Mailroom against a
# plain Spring TextWebSocketHandler broadcast, one after the other, same scenarios, same JVM flags.
#
#   bench/chat-load.sh                 # builds, runs the three servers one after the other (~35 minutes), prints the table
#   CHAT_LOAD_QUICK=1 bench/chat-load.sh   # smoke run: small numbers, ~2 minutes
#   CHAT_LOAD_SERVERS=mailroom bench/chat-load.sh   # only some of mailroom, baseline (Tomcat), baseline-jetty, baseline-netty
#   CHAT_LOAD_ARGS='ramp.rates=5,10 load.seconds=60' bench/chat-load.sh   # override LoadGen settings
#   CHAT_LOAD_MAILROOM_ARGS=--mailroom.scheduler.threads=4 bench/chat-load.sh   # extra Mailroom settings
#   CHAT_LOAD_SERVER_CPUS=0 CHAT_LOAD_GEN_CPUS=1 bench/chat-load.sh   # pin each to its own core(s) (taskset -c)
#
# Builds into $BUILD_DIR (default target-load): the app jar with Maven, then the load generator and
# the baselines (src/loadgen/java, never part of ./mvnw verify) with javac against the generator's
# classpath (bench/loadgen: Netty) and the baselines' own (bench/tomcat, bench/jetty, bench/netty).
# baseline-netty (NettyChatServer) is the same chat straight on Netty, not in the default set.
# Results: $BUILD_DIR/chat-load/{results.md,*.properties,*.log}. CHAT_LOAD_ARGS=client=jdk drives the
# clients with the JDK's WebSocket client, as runs before 2026-12-07 did, instead of Netty's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
BUILD_DIR="${BUILD_DIR:-target-load}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
OUT="$BUILD_DIR/chat-load"
mkdir -p "$OUT"
SERVER_JVM=(${CHAT_LOAD_SERVER_JVM:--Xms64m -Xmx2g -XX:+UseG1GC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20})
GEN_JVM=(-Xms1g -Xmx4g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED)
# with both set, the server and the generator no longer share cores: the server's figures are its own
SERVER_PIN=(); GEN_PIN=()
[ -n "${CHAT_LOAD_SERVER_CPUS:-}" ] && SERVER_PIN=(taskset -c "$CHAT_LOAD_SERVER_CPUS")
[ -n "${CHAT_LOAD_GEN_CPUS:-}" ] && GEN_PIN=(taskset -c "$CHAT_LOAD_GEN_CPUS")
PORT="${CHAT_LOAD_PORT:-28471}"
HOSTS="127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4"

if [ "${CHAT_LOAD_BUILD:-1}" = 1 ]; then
  echo "building into ${BUILD_DIR#$ROOT/}…"
  ./mvnw -q -Dmailroom.build.dir="$BUILD_DIR" -DskipTests package >"$OUT/build.log" 2>&1 \
    || { tail -n 30 "$OUT/build.log"; exit 1; }
  for c in loadgen tomcat jetty netty; do # the generator's own classpath (Netty); the baselines': Spring's WebSocket on Tomcat, on Jetty 12; plain Netty
    ./mvnw -q -f "bench/$c/pom.xml" dependency:build-classpath -Dmdep.outputFile="$BUILD_DIR/$c-classpath.txt" \
        -Dmdep.includeScope=runtime >>"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; exit 1; }
  done
  rm -rf "$BUILD_DIR/loadgen-classes"
  "$JAVA_HOME/bin/javac" --release 21 -nowarn -d "$BUILD_DIR/loadgen-classes" \
      -cp "$(cat "$BUILD_DIR/loadgen-classpath.txt"):$(cat "$BUILD_DIR/tomcat-classpath.txt")" $(find src/loadgen/java -name '*.java')
fi
JAR="$(ls "$BUILD_DIR"/mailroom-*.jar | head -n 1)"
CP="$BUILD_DIR/loadgen-classes:$(cat "$BUILD_DIR/loadgen-classpath.txt")"
CP_TOMCAT="$BUILD_DIR/loadgen-classes:$(cat "$BUILD_DIR/tomcat-classpath.txt")"
CP_JETTY="$BUILD_DIR/loadgen-classes:$(cat "$BUILD_DIR/jetty-classpath.txt")"
CP_NETTY="$BUILD_DIR/loadgen-classes:$(cat "$BUILD_DIR/netty-classpath.txt")"

QUICK=()
if [ "${CHAT_LOAD_QUICK:-0}" = 1 ]; then
  QUICK=(idle.clients=2000 idle.rooms=20 idle.hold-seconds=2 load.warmup-seconds=3 load.seconds=5
         ramp.warmup-seconds=2 ramp.seconds=4 ramp.rates=5,10)
fi

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/Mem:/ {print $2}') GiB,"\
       "$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), open files $(ulimit -n)"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 2 | tail -n 1)"
  echo "server JVM: ${SERVER_JVM[*]}; generator JVM: ${GEN_JVM[*]}, nice -n -10"
  [ ${#SERVER_PIN[@]} -gt 0 ] || [ ${#GEN_PIN[@]} -gt 0 ] \
    && echo "cores: server ${CHAT_LOAD_SERVER_CPUS:-any}, generator ${CHAT_LOAD_GEN_CPUS:-any}"
  echo "started $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT

run_one() { # name port command…
  local name="$1" port="$2"; shift 2
  echo "=== $name on :$port"
  if ss -ltn "sport = :$port" | grep -q LISTEN; then
    echo "port $port is taken by another process: set CHAT_LOAD_PORT" >&2; exit 1
  fi
  "${SERVER_PIN[@]}" "$@" >"$OUT/$name-server.log" 2>&1 &
  SERVER_PID=$!
  until ss -ltnp "sport = :$port" | grep -q "pid=$SERVER_PID,"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$OUT/$name-server.log"; exit 1; }
    sleep 0.5
  done
  sleep 2
  nice -n -10 "${GEN_PIN[@]}" "$JAVA_HOME/bin/java" "${GEN_JVM[@]}" -cp "$CP" io.mailroom.loadtest.LoadGen \
      label="$name" port="$port" pid="$SERVER_PID" hosts="$HOSTS" jcmd="$JAVA_HOME/bin/jcmd" \
      out="$OUT/$name.properties" "${QUICK[@]}" ${CHAT_LOAD_ARGS:-} 2>&1 | tee "$OUT/$name-loadgen.log"
  stop_server
  sleep 5
}

LIMITS=(--server.tomcat.max-connections=25000 --server.tomcat.accept-count=1000 --logging.level.root=WARN)
SERVERS="${CHAT_LOAD_SERVERS:-mailroom baseline baseline-jetty}"
for server in $SERVERS; do
  case "$server" in
    mailroom)
      run_one mailroom "$PORT" "$JAVA_HOME/bin/java" "${SERVER_JVM[@]}" -jar "$JAR" --server.port="$PORT" "${LIMITS[@]}" \
          --mailroom.chat.max-sessions=25000 --mailroom.chat.rate.capacity=1000 \
          --mailroom.chat.rate.refill-per-second=1000 ${CHAT_LOAD_MAILROOM_ARGS:-} ;;
    baseline)
      run_one baseline "$((PORT + 1))" "$JAVA_HOME/bin/java" "${SERVER_JVM[@]}" -cp "$CP_TOMCAT" io.mailroom.loadtest.BaselineChatServer \
          --server.port="$((PORT + 1))" "${LIMITS[@]}" ;;
    baseline-jetty) # the same handler with Tomcat swapped for Jetty 12 (bench/jetty/pom.xml)
      run_one baseline-jetty "$((PORT + 2))" "$JAVA_HOME/bin/java" "${SERVER_JVM[@]}" -cp "$CP_JETTY" \
          io.mailroom.loadtest.BaselineChatServer --server.port="$((PORT + 2))" --server.jetty.max-connections=25000 \
          --logging.level.root=WARN ;;
    baseline-netty) # the same chat on Netty's own WebSocket codec, no Spring (bench/netty/pom.xml)
      run_one baseline-netty "$((PORT + 3))" "$JAVA_HOME/bin/java" "${SERVER_JVM[@]}" --enable-native-access=ALL-UNNAMED \
          -cp "$CP_NETTY" io.mailroom.loadtest.NettyChatServer --server.port="$((PORT + 3))" ;;
    *) echo "unknown server $server" >&2; exit 1 ;;
  esac
done

echo "finished $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
props=()
for server in $SERVERS; do props+=("$OUT/$server.properties"); done
"$JAVA_HOME/bin/java" -cp "$CP" io.mailroom.loadtest.LoadGen report "${props[@]}" | tee "$OUT/results.md"
