#!/usr/bin/env bash
# Catalogue benchmark (`make bench-catalogue`): search, browse, related and detail routes of the release
# build against 100,000 generated models, with wrk, on PostgreSQL and SQLite.
#
# For each database it starts from an empty one (a throwaway PostgreSQL cluster, or a fresh SQLite file), lets
# `hwc3d reindex-search` create the schema, fills it with scripts/bench_catalogue_data.py, builds the full-text
# index with `hwc3d reindex-search` (the application's own indexing code), then starts `hwc3d serve` as one
# process and runs wrk as another on loopback: 64 connections, a 3 s warm-up, then $BENCH_RUNS runs per route.
# Medians of req/s, p50 and p99 go to bench-catalogue-results.md (not meant for git).
#
# Routes are parameterised: BENCH_ROUTES is a space-separated list of paths in which {id} and {slug} stand for
# the most viewed listed model of the generated catalogue. The default covers the issue's targets (search with
# two filters: p99 < 50 ms; detail: p99 < 10 ms) and the other catalogue reads. A route that does not answer
# 200 (say, not built yet) is skipped with a note rather than benchmarked on its error path.
# wrk repeats one URL, which the catalogue cache (ModelSearchCache) answers from memory after the first request;
# so the server is started a second time with CATALOGUE_CACHE_SECONDS=0 and BENCH_UNCACHED_ROUTES (default: the
# list routes; empty to skip) are measured again, each query then running in full in the database.
#
# Knobs (optional): DB=postgres|sqlite (default both, PostgreSQL first), BENCH_MODELS (default 100000),
# BENCH_DURATION (default 10s), BENCH_RUNS (default 3), BENCH_CONNECTIONS (default 64), BENCH_BIN=path (skip the
# build), SWIFT_BUILD_FLAGS (extra `swift build` flags), BENCH_ROUTES (see above).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib-postgres.sh
source "$ROOT/scripts/lib-postgres.sh"

DB="${DB:-}"
case "${DB:-both}" in
  both | all) dbs=(postgres sqlite) ;;
  sqlite) dbs=(sqlite) ;;
  postgres | postgresql | pg) dbs=(postgres) ;;
  *)
    echo "bench-catalogue.sh: DB must be sqlite, postgres or empty (both), not '$DB'" >&2
    exit 2
    ;;
esac
MODELS="${BENCH_MODELS:-100000}"
DURATION="${BENCH_DURATION:-10s}"
RUNS="${BENCH_RUNS:-3}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
LIST_ROUTES="/api/v1/models?q=chair&category=furniture&license=cc0 /api/v1/models?q=wood /api/v1/models?q=low%20poly&sort=popular /api/v1/models"
# (Assigned apart: a `}` inside ${VAR:-default} would end the expansion.)
DEFAULT_ROUTES="/health $LIST_ROUTES /api/v1/models/{slug} /api/v1/models/{id}/related"
ROUTES="${BENCH_ROUTES:-$DEFAULT_ROUTES}"
UNCACHED_ROUTES="${BENCH_UNCACHED_ROUTES-$LIST_ROUTES}"
WRK_ARGS=(-t2 "-c$CONNECTIONS" --latency)
OUT_MD="$ROOT/bench-catalogue-results.md"

BENCH_NAME=bench-catalogue.sh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

bash "$ROOT/scripts/ensure-deps.sh" bench
release_binary

JWT_SECRET_VALUE="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"

# Settings of the binary for database $1 (URL in $2 for PostgreSQL), into ENV_ARGS.
server_env() { # db url
  ENV_ARGS=(
    DATA_DIR="$WORK/$1/data" APP_ENV=production LOG_LEVEL=warning RATE_LIMIT_ENABLED=false
    JWT_SECRET="$JWT_SECRET_VALUE"
  )
  if [[ -n "$2" ]]; then ENV_ARGS+=(DATABASE_URL="$2"); fi
}

# `hwc3d <command>` with the benchmark's settings; env -u: a DATABASE_URL from the caller's shell must not leak
# into the SQLite run.
run_hwc3d() { # db url command
  server_env "$1" "$2"
  env -u DATABASE_URL "${ENV_ARGS[@]}" "$BIN" "$3"
}

start_server() { # db url [VAR=value...]
  local db="$1" url="$2" port
  port="$(free_port)"
  SERVER_LOG="$WORK/$db/server.log"
  BASE="http://127.0.0.1:$port"
  log "starting $BIN serve on $BASE ($db)"
  server_env "$db" "$url"
  env -u DATABASE_URL "${ENV_ARGS[@]}" "${@:3}" HOST=127.0.0.1 PORT="$port" "$BIN" serve </dev/null >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_until_healthy
}

bench_route() { # dir path [label suffix]
  local dir="$1" path="$2" suffix="${3:-}" status n
  status="$(curl -sS -o "$WORK/check.out" -w '%{http_code}' --max-time 30 "$BASE$path")"
  if [[ "$status" != 200 ]]; then
    log "skipping GET $path: it answered $status"
    NOTES+=("- \`GET $path\` skipped on $TITLE: it answered $status ($(head -c 200 "$WORK/check.out" | tr '\n' ' '))")
    return 0
  fi
  mkdir -p "$dir"
  printf 'GET %s%s\n' "$path" "$suffix" >"$dir/route"
  log "GET $path$suffix: warm-up 3s, then $RUNS x $DURATION"
  wrk "${WRK_ARGS[@]}" -d3s "$BASE$path" >/dev/null
  for n in $(seq 1 "$RUNS"); do
    wrk "${WRK_ARGS[@]}" -d"$DURATION" "$BASE$path" >"$dir/run-$n.txt"
    grep -E '^Requests/sec|^ +99%' "$dir/run-$n.txt" | tr -s ' ' | paste -sd' ' | sed "s|^|    run $n: |" >&2
  done
}

tables=()
NOTES=()
for db in "${dbs[@]}"; do
  url=""
  TITLE="SQLite"
  mkdir -p "$WORK/$db/data"
  if [[ "$db" == postgres ]]; then
    log "starting throwaway PostgreSQL"
    pg_start hwc3d_bench_catalogue
    url="$PG_URL"
    TITLE="PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
  fi
  log "creating the schema ($db)"
  run_hwc3d "$db" "$url" reindex-search >/dev/null
  log "generating $MODELS models"
  if [[ "$db" == postgres ]]; then
    summary="$(python3 "$ROOT/scripts/bench_catalogue_data.py" postgres "$url" --psql "$PG_BIN/psql" --models "$MODELS")"
  else
    summary="$(python3 "$ROOT/scripts/bench_catalogue_data.py" sqlite "$WORK/$db/data/hwc3d.sqlite" --models "$MODELS")"
  fi
  log "$summary"
  log "building the search index"
  index_line="$(run_hwc3d "$db" "$url" reindex-search | tail -n1)"
  log "$index_line"
  field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$summary" "$1"; }
  slug="$(field sample_slug)"
  id="$(field sample_id)"
  NOTES+=("- $TITLE: $(field summary); \`hwc3d reindex-search\`: $index_line")

  start_server "$db" "$url"
  res="$WORK/$db/results"
  index=0
  slug_placeholder='{slug}'
  id_placeholder='{id}'
  read -r -a route_list <<<"$ROUTES"
  for route in "${route_list[@]}"; do
    index=$((index + 1))
    path="${route//"$slug_placeholder"/$slug}"
    path="${path//"$id_placeholder"/$id}"
    bench_route "$res/$(printf '%02d' "$index")" "$path"
  done
  stop_server
  if [[ -n "$UNCACHED_ROUTES" ]]; then
    start_server "$db" "$url" CATALOGUE_CACHE_SECONDS=0
    read -r -a route_list <<<"$UNCACHED_ROUTES"
    for route in "${route_list[@]}"; do
      index=$((index + 1))
      bench_route "$res/$(printf '%02d' "$index")" "$route" " (cache off)"
    done
    stop_server
  fi
  tables+=("$(python3 "$ROOT/scripts/bench_report.py" table "$TITLE" "$res")")
  if [[ "$db" == postgres ]]; then
    pg_stop
  fi
done

{
  echo "## HWC3D catalogue benchmark"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: nproc=$(nproc), $(uname -srm); wrk, the server and the database share these cores"
  echo "- $(swift --version 2>/dev/null | head -n1 || echo 'swift: unknown'), release build; APP_ENV=production, LOG_LEVEL=warning, RATE_LIMIT_ENABLED=false"
  echo "- load: wrk ${WRK_ARGS[*]} -d$DURATION, $RUNS runs after a 3 s warm-up; medians shown; 'vs /health' = req/s ÷ /health's req/s"
  echo "- targets (issue 3, PostgreSQL, 64 connections): search with a text query and two filters p99 < 50 ms; detail p99 < 10 ms"
  printf '%s\n' "${NOTES[@]}"
  echo
  printf '%s\n\n' "${tables[@]}"
} >"$OUT_MD"

echo
cat "$OUT_MD"
log "written to $OUT_MD"
