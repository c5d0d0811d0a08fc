#!/usr/bin/env bash
# The chaos run (docs/reliability.md, "Chaos"): ChaosTest's driver at any size. Clients chat over
# real WebSockets against the real service while room processes, session processes and sockets are
# killed; the exact checker then proves nothing acknowledged was lost, duplicated or reordered and
# that no process, session or socket leaked. Same code as the CI run (src/test/java/io/mailroom/chaos).
#
#   bench/chaos.sh                                   # the CI size: 60 clients, 6 rooms, 100 msg/s, 8 kills/s, 50 s
#   bench/chaos.sh clients=200 rooms=20 send-rate=300 kill-rate=40 seconds=300   # any chaos.* setting
#   flock /tmp/cpu.lock bench/chaos.sh …             # on a shared machine
#   flock /tmp/cpu.lock bench/chaos.sh clients=100 rooms=10 send-rate=120 kill-rate=15 seconds=780
#                                                    # the long run of docs/reliability.md: ~11,700 kills, 13.5 min on 2 cores
#
# Settings (key=value, passed as -Dchaos.key=value): clients, rooms, rooms-per-client, send-rate
# (messages/s over all clients), seconds, kill-rate (kills/s), room-weight, session-weight,
# socket-weight (the mix of kills), actuator-every (every n-th process kill through the actuator),
# seed, history-size (per room; must hold every message of the run), catch-up-limit (low, so that
# reconnects page on with REST), log-level.
# Output: the report on stdout and in $OUT (default target/chaos/), with the machine and load average.
#
#   bench/chaos.sh cluster                           # ClusterChaosTest at CI size: 2 nodes on a real
#                                                    # redis-server; a node cut off, Redis stopped, a node killed
#   flock /tmp/cpu.lock bench/chaos.sh cluster faults=cut,stop,cut,stop,kill,cut,stop send-rate=200 clients=20 rooms=6
# Its settings (passed as -Dcluster-chaos.key=value): clients, rooms, send-rate, faults (cut, stop,
# kill, comma-separated, in order), up-millis, down-millis (all is well until the acks of that long
# at send-rate came, then a fault lasts until as many sends were refused), room-kill-rate (room
# processes of the live nodes killed per second beside the faults; default 3), seed. Needs
# redis-server on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
OUT="${OUT:-target/chaos}"
mkdir -p "$OUT"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"

COMMAND="bench/chaos.sh $*"
TEST=ChaosTest
PREFIX=chaos
if [ "${1:-}" = cluster ]; then
  TEST=ClusterChaosTest
  PREFIX=cluster-chaos
  shift
fi
props=()
for kv in "$@"; do
  case "$kv" in
    *=*) props+=("-D$PREFIX.$kv") ;;
    *) echo "usage: $0 [key=value]… (see the comment at the top)" >&2; exit 2 ;;
  esac
done

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 2 | tail -n 1)"
  echo "command: $COMMAND"
  echo "started $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/$STAMP-machine.txt"

status=0
./mvnw -o -q test -Dtest="$TEST" -Dsurefire.failIfNoSpecifiedTests=false \
    -D$PREFIX.report="$OUT/$STAMP-report.txt" "${props[@]}" >"$OUT/$STAMP-maven.log" 2>&1 || status=$?

echo "ended $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/$STAMP-machine.txt"
if [ -f "$OUT/$STAMP-report.txt" ]; then
  cat "$OUT/$STAMP-report.txt"
fi
if [ "$status" != 0 ]; then
  grep -E 'FAIL|Expecting|ERROR\]' "$OUT/$STAMP-maven.log" | head -n 30 >&2
  echo "chaos run FAILED (exit $status); Maven's log: $OUT/$STAMP-maven.log" >&2
fi
exit "$status"
