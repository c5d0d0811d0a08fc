#!/usr/bin/env bash
# The cluster benchmark (docs/benchmarks.md, "Cluster: one node vs two behind nginx"): chat-load.sh's
# `load` scenario (2,000 clients / 20 rooms / 200 senders, LoadGen in src/loadgen/java) against
#   single  one node in the embedded default, no Redis (the reference)
#   one     one node in cluster mode on a local redis-server, clients straight to it
#   two     two nodes on that Redis behind nginx (deploy/nginx/nginx.conf, only addresses, ports and
#           its pid and temp paths changed), clients to nginx's port: least_conn spreads them
# one after the other in one invocation, with Redis's CPU and commands and nginx's CPU taken over
# the same measured window (LoadGen's window-hook).
#
#   bench/cluster-load.sh                         # builds, runs the three cases (~6 minutes), prints the table
#   CLUSTER_LOAD_BUILD=only bench/cluster-load.sh # only builds (on a shared machine: build, then run, each under the lock)
#   CLUSTER_LOAD_BUILD=0 bench/cluster-load.sh    # only runs, on the last build
#   CLUSTER_LOAD_QUICK=1 bench/cluster-load.sh    # smoke run: 200 clients, 20 senders, short windows (~2 minutes)
#   CLUSTER_LOAD_CASES="one two" bench/cluster-load.sh
#   CLUSTER_LOAD_ARGS='load.rate=2.5 load.seconds=20' bench/cluster-load.sh   # override LoadGen settings
#
# Results: $BUILD_DIR/cluster-load/{results.md,machine.txt,<case>.properties,<case>-*.log,<case>-top.txt}
# (BUILD_DIR defaults to target-cluster-load; CLUSTER_LOAD_OUT=dir for another). Needs redis-server, redis-cli and nginx on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
BUILD_DIR="${BUILD_DIR:-target-cluster-load}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
OUT="${CLUSTER_LOAD_OUT:-$BUILD_DIR/cluster-load}"
mkdir -p "$OUT"
rm -rf "$OUT/window"
# as chat-load.sh: the same server and generator flags
SERVER_JVM=(${CLUSTER_LOAD_SERVER_JVM:--Xms64m -Xmx2g -XX:+UseG1GC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20})
GEN_JVM=(-Xms1g -Xmx4g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED)
BASE_PORT="${CLUSTER_LOAD_PORT:-28560}" # nginx on it, the nodes on +1 and +2, Redis on the first free from +10
HOSTS="127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4"
CASES="${CLUSTER_LOAD_CASES:-single one two}"

BUILD="${CLUSTER_LOAD_BUILD:-1}"
if [ "$BUILD" != 0 ]; then
  echo "building into ${BUILD_DIR#$ROOT/}…"
  ./mvnw -q -Dmailroom.build.dir="$BUILD_DIR" -DskipTests package >"$OUT/build.log" 2>&1 \
    || { tail -n 30 "$OUT/build.log"; exit 1; }
  ./mvnw -q -f bench/loadgen/pom.xml dependency:build-classpath -Dmdep.outputFile="$BUILD_DIR/loadgen-classpath.txt" \
      -Dmdep.includeScope=runtime >>"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; exit 1; }
  rm -rf "$BUILD_DIR/loadgen-classes"
  # LoadGen and its client transports alone: the baselines (chat-load.sh) are not run here
  "$JAVA_HOME/bin/javac" --release 21 -nowarn -d "$BUILD_DIR/loadgen-classes" -cp "$(cat "$BUILD_DIR/loadgen-classpath.txt")" \
      $(find src/loadgen/java -name '*.java' ! -name '*ChatServer.java')
  [ "$BUILD" = only ] && exit 0
fi
JAR="$(ls "$BUILD_DIR"/mailroom-*.jar | head -n 1)"
CP="$BUILD_DIR/loadgen-classes:$(cat "$BUILD_DIR/loadgen-classpath.txt")"
for tool in redis-server redis-cli nginx; do
  command -v "$tool" >/dev/null || { echo "$tool is not on the PATH" >&2; exit 1; }
done

LOADGEN_ARGS=(scenarios=load load.clients=2000 load.rooms=20 load.senders=200 load.rate=2
              load.warmup-seconds=10 load.seconds=30)
if [ "${CLUSTER_LOAD_QUICK:-0}" = 1 ]; then
  LOADGEN_ARGS=(scenarios=load load.clients=200 load.rooms=20 load.senders=20 load.rate=2
                load.warmup-seconds=3 load.seconds=5)
fi

TMP="$(mktemp -d /tmp/mailroom-cluster-load.XXXXXX)"
PIDS=() # every process started here, stopped in reverse order
stop_all() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    if kill -0 "${PIDS[i]}" 2>/dev/null; then
      kill "${PIDS[i]}"; wait "${PIDS[i]}" 2>/dev/null || true
    fi
  done
  PIDS=()
}
cleanup() {
  stop_all
  if [ -n "${REDIS_PID:-}" ]; then kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

port_free() { ! ss -ltn "sport = :$1" | grep -q LISTEN; }
wait_listen() { # port pid name: until that pid listens on the port
  until ss -ltnp "sport = :$1" | grep -q "pid=$2,"; do
    kill -0 "$2" 2>/dev/null || { echo "$3 exited:" >&2; tail -n 30 "$OUT/$3.log" >&2; exit 1; }
    sleep 0.5
  done
}
for p in "$BASE_PORT" "$((BASE_PORT + 1))" "$((BASE_PORT + 2))"; do
  port_free "$p" || { echo "port $p is taken by another process: set CLUSTER_LOAD_PORT" >&2; exit 1; }
done

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/Mem:/ {print $2}') GiB,"\
       "$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r), open files $(ulimit -n)"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 2 | tail -n 1)"
  echo "redis: $(redis-server --version | sed 's/ sha=.*//'); nginx: $(nginx -v 2>&1 | sed 's/.*: //')"
  echo "server JVM: ${SERVER_JVM[*]}; generator JVM: ${GEN_JVM[*]}, nice -n -10"
  echo "loadgen: ${LOADGEN_ARGS[*]} ${CLUSTER_LOAD_ARGS:-}"
  echo "started $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

# ---- Redis: no persistence, its own directory; one for every case, emptied between them
REDIS_PORT=$((BASE_PORT + 10))
until port_free "$REDIS_PORT"; do REDIS_PORT=$((REDIS_PORT + 1)); done
mkdir -p "$TMP/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --save '' --appendonly no \
    --daemonize no >"$OUT/redis.log" 2>&1 &
REDIS_PID=$!
wait_listen "$REDIS_PORT" "$REDIS_PID" redis
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
echo "redis-server pid $REDIS_PID on :$REDIS_PORT"

# ---- the window hook: snapshots of Redis (INFO, /proc stat) and nginx (/proc stat of every process)
cat >"$TMP/hook.sh" <<EOF
#!/usr/bin/env bash
# \$1 start|end, \$2 the window's key (load)
d="$OUT/window/\$CASE-\$2-\$1"
mkdir -p "\$d"
cat /proc/$REDIS_PID/stat >"\$d/redis.stat"
redis-cli -p $REDIS_PORT INFO all >"\$d/redis.info"
for p in \$NGINX_PIDS; do cat /proc/\$p/stat; done >"\$d/nginx.stat" 2>/dev/null || true
cat /proc/loadavg >"\$d/loadavg"
for p in \$NODE_PORTS; do # how the clients spread: established sockets on each node's port
  echo "\$p \$(ss -tnH state established "sport = :\$p" | wc -l)"
done >"\$d/sockets"
if [ "\$1" = start ] && [ -n "\${TOP_SECONDS:-}" ]; then
  # two frames of every thread on the machine: the second is the average over TOP_SECONDS
  top -b -H -w 250 -d "\$TOP_SECONDS" -n 2 >"$OUT/\$CASE-top.txt" 2>&1 &
fi
EOF
chmod +x "$TMP/hook.sh"

LIMITS=(--server.tomcat.max-connections=25000 --server.tomcat.accept-count=1000 --logging.level.root=WARN
        --mailroom.chat.max-sessions=25000 --mailroom.chat.rate.capacity=1000 --mailroom.chat.rate.refill-per-second=1000)
CLUSTER=(--mailroom.cluster.redis.url="$REDIS_URL" --mailroom.admin.password=cluster-load-bench)

start_node() { # name port args…
  local name="$1" port="$2"; shift 2
  "$JAVA_HOME/bin/java" "${SERVER_JVM[@]}" -jar "$JAR" --server.port="$port" "${LIMITS[@]}" "$@" \
      >"$OUT/$name.log" 2>&1 &
  PIDS+=($!)
  wait_listen "$port" "$!" "$name"
  NODE_PIDS+=($!)
}

start_nginx() { # port upstream1 upstream2
  mkdir -p "$TMP/nginx"
  sed -e "s/app1:8080/127.0.0.1:$2/; s/app2:8080/127.0.0.1:$3/; s/listen 8080;/listen $1;/" \
      -e "s#/tmp/mailroom-nginx#$TMP/nginx/mailroom-nginx#g" "$ROOT/deploy/nginx/nginx.conf" >"$TMP/nginx/nginx.conf"
  cp "$TMP/nginx/nginx.conf" "$OUT/nginx.conf"
  nginx -e stderr -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' >"$OUT/$CASE-nginx.log" 2>&1 &
  PIDS+=($!)
  wait_listen "$1" "$!" "$CASE-nginx"
  NGINX_PIDS="$! $(cat "/proc/$!/task/$!/children")"
}

for CASE in $CASES; do
  echo "=== $CASE"
  NODE_PIDS=()
  NGINX_PIDS=""
  NODE_PORTS="$((BASE_PORT + 1))"
  redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
  redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null
  case "$CASE" in
    single) start_node "$CASE-node1" "$((BASE_PORT + 1))"; PORT=$((BASE_PORT + 1)) ;;
    one) start_node "$CASE-node1" "$((BASE_PORT + 1))" "${CLUSTER[@]}"; PORT=$((BASE_PORT + 1)) ;;
    two)
      for i in 1 2; do
        start_node "$CASE-node$i" "$((BASE_PORT + i))" "${CLUSTER[@]}" --server.forward-headers-strategy=native
      done
      start_nginx "$BASE_PORT" "$((BASE_PORT + 1))" "$((BASE_PORT + 2))"
      NODE_PORTS="$((BASE_PORT + 1)) $((BASE_PORT + 2))"
      PORT=$BASE_PORT ;;
    *) echo "unknown case $CASE (single, one, two)" >&2; exit 1 ;;
  esac
  sleep 2
  pids="$(IFS=,; echo "${NODE_PIDS[*]}")"
  echo "nodes $pids${NGINX_PIDS:+, nginx $NGINX_PIDS}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  CASE="$CASE" NGINX_PIDS="$NGINX_PIDS" NODE_PORTS="$NODE_PORTS" TOP_SECONDS="${CLUSTER_LOAD_TOP_SECONDS:-10}" \
    nice -n -10 "$JAVA_HOME/bin/java" "${GEN_JVM[@]}" -cp "$CP" io.mailroom.loadtest.LoadGen \
      label="$CASE" port="$PORT" pid="$pids" hosts="$HOSTS" jcmd="$JAVA_HOME/bin/jcmd" \
      window-hook="$TMP/hook.sh" out="$OUT/$CASE.properties" "${LOADGEN_ARGS[@]}" ${CLUSTER_LOAD_ARGS:-} \
      2>&1 | tee "$OUT/$CASE-loadgen.log"
  stop_all
  sleep 5
done

echo "finished $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
python3 "$ROOT/bench/cluster-report.py" "$OUT" $CASES | tee "$OUT/results.md"
