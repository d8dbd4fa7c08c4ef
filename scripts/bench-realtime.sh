#!/usr/bin/env bash
# Issue 12's benchmark (`make bench-realtime`): two instances of the release build on one throwaway PostgreSQL.
#   - sockets: BENCH_SOCKETS (2000) users each hold /ws/notifications, spread over both instances; a writer follows
#     every one of them through alternating instances, so each notification crosses to the other instance half the
#     time. Reports delivery latency from the follow's HTTP answer to the socket's message (p50, p99), events
#     missed and resident memory per open socket.
#   - reads: a community of BENCH_POSTS (100,000) posts; wrk -t2 -c16 on GET /communities/{slug}/posts (hot) and
#     on the member's GET /users/me/feed, with GET /health beside them for reference, BENCH_RUNS runs of
#     BENCH_DURATION, medians of p99 and req/s.
# Writes bench-realtime-results.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib-postgres.sh
source "$ROOT/scripts/lib-postgres.sh"
BENCH_NAME=bench-realtime.sh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

SOCKETS="${BENCH_SOCKETS:-2000}"
POSTS="${BENCH_POSTS:-100000}"
DURATION="${BENCH_DURATION:-10s}"
[[ "$DURATION" =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
RUNS="${BENCH_RUNS:-3}"
OUT_MD="$ROOT/bench-realtime-results.md"

bash "$ROOT/scripts/ensure-deps.sh" bench
release_binary
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

open_database postgres hwc3d_bench
# Two servers: the library's SERVER_PID is the second; the first is stopped by this trap.
FIRST_PID=""
trap '[[ -n "$FIRST_PID" ]] && kill -TERM "$FIRST_PID" 2>/dev/null; cleanup' EXIT
start_server postgres "$DB_URL" BCRYPT_COST=4
FIRST_PID="$SERVER_PID"
FIRST_BASE="$BASE"
FIRST_LOG="$SERVER_LOG"
SERVER_PID=""
mkdir -p "$WORK/postgres-b/data"
SERVER_LOG="$WORK/postgres-b/server.log"
port="$(free_port)"
BASE="http://127.0.0.1:$port"
server_env postgres "$DB_URL"
ENV_ARGS[0]="DATA_DIR=$WORK/postgres-b/data"
env -u DATABASE_URL "${ENV_ARGS[@]}" BCRYPT_COST=4 HOST=127.0.0.1 PORT="$port" "$BIN" serve </dev/null >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_until_healthy
SECOND_BASE="$BASE"

log "$SOCKETS sockets over $FIRST_BASE and $SECOND_BASE; a follow for each"
sockets_json="$(python3 "$ROOT/scripts/bench_realtime.py" sockets --a "$FIRST_BASE" --b "$SECOND_BASE" \
  --pids "$FIRST_PID,$SERVER_PID" --sockets "$SOCKETS")"
log "$sockets_json"

log "seeding $POSTS posts"
seed_json="$(python3 "$ROOT/scripts/bench_realtime.py" seed-posts --a "$FIRST_BASE" --psql-url "$DB_URL" --posts "$POSTS")"
slug="$(json_field "$seed_json" slug)"
token="$(json_field "$seed_json" token)"
BASE="$FIRST_BASE"
res="$WORK/routes"
# The reference: what the same server answers at the same concurrency when a request does nothing.
wrk_route "$res/0" "GET /health" "/health" 16
wrk_route "$res/1" "GET /api/v1/communities/{slug}/posts?sort=hot" "/api/v1/communities/$slug/posts?sort=hot" 16
wrk_route "$res/2" "GET /api/v1/users/me/feed" "/api/v1/users/me/feed" 16 -H "Authorization: Bearer $token"

{
  echo "# make bench-realtime"
  echo
  echo "- machine: nproc=$(nproc), $(uname -srm); the load generators, both servers and PostgreSQL share these cores"
  echo "- two release instances of hwc3d on one PostgreSQL ($DB_TITLE), sockets alternating between them"
  echo
  echo "## Notifications over sockets"
  echo
  python3 - "$sockets_json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("| sockets | follows | follows/s | delivered | missed | latency p50 | latency p99 | max | memory per socket |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {r['sockets']} | {r['writes']} | {r['writes_per_s']} | {r['delivered']} | {r['missed']} | {r['latency_ms_p50']} ms | {r['latency_ms_p99']} ms | {r['latency_ms_max']} ms | {r['kib_per_socket']} KiB |")
PY
  echo
  echo "Latency: from the follow's HTTP answer to the socket's notification.created, whichever instance holds the socket."
  echo
  echo "## Posts list and feed on $POSTS posts (wrk -t2 -c16, $RUNS x $DURATION, medians)"
  echo
  echo "| route | req/s | p99 |"
  echo "|---|---:|---:|"
  for dir in "$res"/*; do
    python3 - "$dir" <<'PY'
import glob, re, statistics, sys
d = sys.argv[1]
label = open(f"{d}/route").read().strip()
rates, p99s = [], []
for path in sorted(glob.glob(f"{d}/run-*.txt")):
    text = open(path).read()
    rates.append(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", text, re.M)
    value = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    p99s.append(value)
print(f"| {label} | {statistics.median(rates):.0f} | {statistics.median(p99s):.1f} ms |")
PY
  done
} >"$OUT_MD"
cat "$OUT_MD"
