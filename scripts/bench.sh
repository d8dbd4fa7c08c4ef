#!/usr/bin/env bash
# HTTP benchmark of the release build with wrk (`make bench`).
#
# For each database (SQLite, then a throwaway PostgreSQL), it starts the release
# binary as a separate process on a free loopback port, registers one user, and
# measures GET /health, GET /api/v1/users/<username> and GET /api/v1/users/me:
# a 3 s warm-up, then 3 runs of `wrk -t2 -c64 -d10s --latency` per route. It
# prints one markdown table per database (medians, and each route's req/s as a
# ratio of /health's, which is the cost of the framework alone) and writes them to
# bench-results.md in the repository root (not meant for git).
#
# Knobs (optional): DB=sqlite|postgres (default both), SWIFT_BUILD_FLAGS (extra
# `swift build` flags), BENCH_BIN=path (benchmark that binary, skip the build),
# BENCH_DURATION (default 10s), BENCH_RUNS (default 3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib-postgres.sh
source "$ROOT/scripts/lib-postgres.sh"

DB="${DB:-}"
case "${DB:-both}" in
  both | all) dbs=(sqlite postgres) ;;
  sqlite) dbs=(sqlite) ;;
  postgres | postgresql | pg) dbs=(postgres) ;;
  *)
    echo "bench.sh: DB must be sqlite, postgres or empty (both), not '$DB'" >&2
    exit 2
    ;;
esac
DURATION="${BENCH_DURATION:-10s}"
RUNS="${BENCH_RUNS:-3}"
WRK_ARGS=(-t2 -c64 --latency)
OUT_MD="$ROOT/bench-results.md"

BENCH_NAME=bench.sh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

bash "$ROOT/scripts/ensure-deps.sh" bench
release_binary

# One sample server per database. Everything it writes goes to a fresh DATA_DIR.
start_server() { # db [database_url]
  local db="$1" url="${2:-}" port data
  port="$(free_port)"
  data="$WORK/$db/data"
  mkdir -p "$data"
  SERVER_LOG="$WORK/$db/server.log"
  BASE="http://127.0.0.1:$port"
  local env_args=(
    HOST=127.0.0.1 PORT="$port" DATA_DIR="$data"
    APP_ENV=production LOG_LEVEL=warning RATE_LIMIT_ENABLED=false
    # A fresh random 64-character secret: the server refuses weak ones in production.
    JWT_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  )
  if [[ -n "$url" ]]; then
    env_args+=(DATABASE_URL="$url")
  fi
  log "starting $BIN serve on $BASE ($db)"
  # env -u: a DATABASE_URL from the caller's shell must not leak into the SQLite run.
  env -u DATABASE_URL "${env_args[@]}" "$BIN" serve </dev/null >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_until_healthy
}

# Registers the benchmark user; sets USERNAME and TOKEN.
seed_user() {
  local suffix body status
  suffix="$(python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8)))')"
  USERNAME="bench$suffix"
  body="$(printf '{"email":"%s@example.com","username":"%s","password":"Bench-pass-2026!","display_name":"Bench User"}' "$USERNAME" "$USERNAME")"
  status="$(curl -sS -o "$WORK/register.json" -w '%{http_code}' --max-time 30 \
    -X POST "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' --data "$body")"
  if [[ "$status" != 2* ]]; then
    echo "bench.sh: POST /api/v1/auth/register answered $status:" >&2
    cat "$WORK/register.json" >&2
    echo >&2
    return 1
  fi
  TOKEN="$(python3 "$ROOT/scripts/bench_report.py" token <"$WORK/register.json")"
}

# A route that answers 401/404 would benchmark the error path; refuse that.
check_route() { # path [header]
  local status
  status="$(curl -sS -o "$WORK/check.out" -w '%{http_code}' --max-time 10 "${@:2}" "$BASE$1")"
  if [[ "$status" != 200 ]]; then
    echo "bench.sh: GET $1 answered $status, not 200:" >&2
    head -c 2000 "$WORK/check.out" >&2
    echo >&2
    return 1
  fi
}

bench_route() { # dir label path [wrk header args...]
  local dir="$1" label="$2" path="$3" n
  shift 3
  mkdir -p "$dir"
  printf '%s\n' "$label" >"$dir/route"
  check_route "$path" "$@"
  log "$label: warm-up 3s, then $RUNS x $DURATION"
  wrk "${WRK_ARGS[@]}" -d3s "$@" "$BASE$path" >/dev/null
  for n in $(seq 1 "$RUNS"); do
    wrk "${WRK_ARGS[@]}" -d"$DURATION" "$@" "$BASE$path" >"$dir/run-$n.txt"
    grep -E '^Requests/sec' "$dir/run-$n.txt" | sed "s|^|    run $n: |" >&2
  done
}

tables=()
for db in "${dbs[@]}"; do
  url=""
  title="SQLite"
  if [[ "$db" == postgres ]]; then
    log "starting throwaway PostgreSQL"
    pg_start hwc3d_bench
    url="$PG_URL"
    title="PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
  fi
  start_server "$db" "$url"
  seed_user
  res="$WORK/$db/results"
  bench_route "$res/1-health" "GET /health" /health
  bench_route "$res/2-user" "GET /api/v1/users/{username}" "/api/v1/users/$USERNAME"
  bench_route "$res/3-me" "GET /api/v1/users/me" /api/v1/users/me -H "Authorization: Bearer $TOKEN"
  tables+=("$(python3 "$ROOT/scripts/bench_report.py" table "$title" "$res")")
  stop_server
  if [[ "$db" == postgres ]]; then
    pg_stop
  fi
done

{
  echo "## HWC3D benchmark"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: nproc=$(nproc), $(uname -srm); wrk and the server share these cores"
  echo "- $(swift --version 2>/dev/null | head -n1 || echo 'swift: unknown'), release build; APP_ENV=production, LOG_LEVEL=warning, RATE_LIMIT_ENABLED=false"
  echo "- load: wrk ${WRK_ARGS[*]} -d$DURATION, $RUNS runs after a 3 s warm-up; medians shown; 'vs /health' = req/s ÷ /health's req/s"
  echo
  printf '%s\n\n' "${tables[@]}"
} >"$OUT_MD"

echo
cat "$OUT_MD"
log "written to $OUT_MD"
