#!/usr/bin/env bash
# Checkout benchmark (`make bench-checkout`): concurrent buyers with distinct carts each buying through
# POST /cart/items, POST /checkout and the sandbox capture, against the release build on PostgreSQL; then the
# ledger invariant, checked by the application (`hwc3d ledger-check`) and again straight from SQL.
#
# For each database it starts from an empty one (a throwaway PostgreSQL cluster, or a fresh SQLite file), lets
# `hwc3d reindex-search` create the schema, fills it with scripts/bench_checkout_data.py (the generated catalogue
# of scripts/bench_catalogue_data.py plus $BENCH_BUYERS verified buyers, the models for sale dealt out between them
# so no two carts overlap), starts `hwc3d serve` as one process (APP_ENV=production, PAYMENTS_SANDBOX=true,
# RATE_LIMIT_ENABLED=false, the job worker on as by default) and runs scripts/bench_checkout_load.py as another on
# loopback: every buyer signs in, then loops add 1-3 models to the cart → checkout (sandbox, fresh
# Idempotency-Key) → capture. A warm-up, then $BENCH_RUNS runs of $BENCH_DURATION; medians of completed
# purchases/s, items/s and p50/p99 of each step go to bench-checkout-results.md (not meant for git). With the
# server stopped, `hwc3d ledger-check` and `bench_checkout_data.py check` must both find the ledger balanced and
# purchases = items of succeeded transactions = what the load generator completed; the script exits 1 otherwise
# (after writing the results).
#
# Knobs (optional): DB=postgres|sqlite|both (default postgres), BENCH_BUYERS (default 32), BENCH_DURATION
# (seconds per run, default 10), BENCH_RUNS (default 3), BENCH_WARMUP (seconds, default 3), BENCH_MODELS (catalogue
# size, default 60000: about 26,000 for sale, which lasts a few thousand purchases per run), BENCH_BIN=path (skip
# the build), SWIFT_BUILD_FLAGS (extra `swift build` flags), BENCH_SERVER_ENV ("VAR=value ..." added to the
# server's settings, e.g. DATABASE_POOL_SIZE=16).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib-postgres.sh
source "$ROOT/scripts/lib-postgres.sh"

DB="${DB:-}"
case "${DB:-postgres}" in
  both | all) dbs=(postgres sqlite) ;;
  sqlite) dbs=(sqlite) ;;
  postgres | postgresql | pg) dbs=(postgres) ;;
  *)
    echo "bench-checkout.sh: DB must be postgres (default), sqlite or both, not '$DB'" >&2
    exit 2
    ;;
esac
BUYERS="${BENCH_BUYERS:-32}"
DURATION="${BENCH_DURATION:-10}"
DURATION="${DURATION%s}" # "10s", as bench-catalogue takes it, means 10 here too
RUNS="${BENCH_RUNS:-3}"
WARMUP="${BENCH_WARMUP:-3}"
WARMUP="${WARMUP%s}"
MODELS="${BENCH_MODELS:-60000}"
read -r -a EXTRA_SERVER_ENV <<<"${BENCH_SERVER_ENV:-}"
OUT_MD="$ROOT/bench-checkout-results.md"

BENCH_NAME=bench-checkout.sh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

bash "$ROOT/scripts/ensure-deps.sh" bench
release_binary
STARTED=$SECONDS
# The machine is shared with builds and test runs; the results say how busy it was when this started.
LOADAVG_AT_START="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

JWT_SECRET_VALUE="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"

# Settings of the binary for database $1 (URL in $2 for PostgreSQL), into ENV_ARGS.
server_env() { # db url
  ENV_ARGS=(
    DATA_DIR="$WORK/$1/data" APP_ENV=production LOG_LEVEL=warning RATE_LIMIT_ENABLED=false
    JWT_SECRET="$JWT_SECRET_VALUE" PAYMENTS_SANDBOX=true
  )
  if [[ -n "$2" ]]; then ENV_ARGS+=(DATABASE_URL="$2"); fi
  ENV_ARGS+=("${EXTRA_SERVER_ENV[@]}")
}

# `hwc3d <command>` with the benchmark's settings; env -u: a DATABASE_URL from the caller's shell must not leak
# into the SQLite run. No job worker: a command must not pick up the e-mails the load queued.
run_hwc3d() { # db url command
  server_env "$1" "$2"
  env -u DATABASE_URL "${ENV_ARGS[@]}" JOB_WORKER=false "$BIN" "$3"
}

start_server() { # db url
  local db="$1" url="$2" port
  port="$(free_port)"
  SERVER_LOG="$WORK/$db/server.log"
  BASE="http://127.0.0.1:$port"
  log "starting $BIN serve on $BASE ($db)"
  server_env "$db" "$url"
  env -u DATABASE_URL "${ENV_ARGS[@]}" HOST=127.0.0.1 PORT="$port" "$BIN" serve </dev/null >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_until_healthy
}

field() { # json key
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

sections=()
NOTES=()
failed=false
for db in "${dbs[@]}"; do
  url=""
  TITLE="SQLite"
  dir="$WORK/$db"
  mkdir -p "$dir/data"
  if [[ "$db" == postgres ]]; then
    log "starting throwaway PostgreSQL"
    pg_start hwc3d_bench_checkout
    url="$PG_URL"
    TITLE="PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
    target=(postgres "$url" --psql "$PG_BIN/psql")
  else
    target=(sqlite "$dir/data/hwc3d.sqlite")
  fi
  log "creating the schema ($db)"
  run_hwc3d "$db" "$url" reindex-search >/dev/null
  log "generating $MODELS models and $BUYERS buyers"
  summary="$(python3 "$ROOT/scripts/bench_checkout_data.py" seed "${target[@]}" --models "$MODELS" --buyers "$BUYERS" \
    --out "$dir/buyers.json")"
  log "$(field "$summary" summary)"
  NOTES+=("- $TITLE data: $(field "$summary" summary)")

  start_server "$db" "$url"
  log "load: $BUYERS buyers, ${WARMUP} s warm-up, then $RUNS x ${DURATION} s"
  python3 "$ROOT/scripts/bench_checkout_load.py" --base "$BASE" --buyers "$dir/buyers.json" --runs "$RUNS" \
    --duration "$DURATION" --warmup "$WARMUP" --json "$dir/load.json" --markdown "$dir/table.md" --title "$TITLE"
  # Stopped, so nothing is still writing while the ledger is checked (the job worker included).
  stop_server
  # Production logs are JSON lines; what the server logged as an error explains the load's 5xx answers.
  server_errors="$(grep -E '"level" ?: ?"(error|critical)"' "$SERVER_LOG" | head -n 8 | cut -c1-1200 || true)"
  if [[ "$db" == postgres && -f "$PG_TMPDIR/postgres.log" ]]; then
    # And PostgreSQL's side of them (deadlocks, constraint violations), before pg_stop deletes its log.
    pg_errors="$(grep -E -A2 '(ERROR|FATAL):' "$PG_TMPDIR/postgres.log" | grep -vE '^--$' | head -n 12 | cut -c1-600 || true)"
    server_errors="${server_errors}${pg_errors:+${server_errors:+$'\n'}$pg_errors}"
  fi
  SERVER_LOG=""

  purchases="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["purchases"])' "$dir/load.json")"
  items="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["items"])' "$dir/load.json")"
  log "hwc3d ledger-check"
  # Its report is the lines that are not JSON log records: one per problem, then "ledger ok|NOT OK: ...".
  if ledger_out="$(run_hwc3d "$db" "$url" ledger-check 2>&1)"; then
    ledger_line="passed: $(grep -v '^{' <<<"$ledger_out" | tail -n1)"
  else
    failed=true
    if grep -qiE 'unknown command|no such command' <<<"$ledger_out"; then
      ledger_line="**missing**: this build has no \`ledger-check\` command ($(grep -v '^{' <<<"$ledger_out" | tail -n1))"
    else
      ledger_line="**FAILED**: $(grep -v '^{' <<<"$ledger_out" | tail -n 20 | paste -sd';' -)"
    fi
  fi
  log "ledger-check $ledger_line"
  log "SQL cross-check"
  if check_json="$(python3 "$ROOT/scripts/bench_checkout_data.py" check "${target[@]}" \
    --expect-transactions "$purchases" --expect-items "$items")"; then
    :
  else
    failed=true
  fi
  check_line="$(field "$check_json" summary)"
  log "invariant $check_line"
  sections+=("$(cat "$dir/table.md")

Ledger afterwards (load generator's totals including the warm-up: $purchases purchases, $items items):

- \`hwc3d ledger-check\` $ledger_line
- SQL cross-check $check_line
${server_errors:+
Errors in the server log (first lines):

\`\`\`
$server_errors
\`\`\`
}")
  if [[ "$db" == postgres ]]; then
    pg_stop
  fi
done
elapsed=$((SECONDS - STARTED))

{
  echo "## HWC3D checkout benchmark"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes in Sources/')"
  echo "- machine: nproc=$(nproc), $(uname -srm); the load generator, the server and the database share these cores; load average at the start: $LOADAVG_AT_START"
  echo "- $(swift --version 2>/dev/null | head -n1 || echo 'swift: unknown'), release build; APP_ENV=production, LOG_LEVEL=warning, RATE_LIMIT_ENABLED=false, PAYMENTS_SANDBOX=true, job worker on${EXTRA_SERVER_ENV[*]:+, ${EXTRA_SERVER_ENV[*]}}"
  echo "- load: scripts/bench_checkout_load.py (Python asyncio + aiohttp, a second process on loopback): $BUYERS buyers with distinct carts, each in a closed loop of add 1–3 models to the cart → POST /checkout (sandbox, fresh Idempotency-Key) → capture; ${WARMUP} s warm-up, then $RUNS runs of ${DURATION} s; medians shown; a purchase = one completed capture"
  printf '%s\n' "${NOTES[@]}"
  echo "- the whole benchmark took ${elapsed} s after the build"
  echo
  printf '%s\n' "${sections[@]}"
} >"$OUT_MD"

echo
cat "$OUT_MD"
log "written to $OUT_MD"
if [[ "$failed" == true ]]; then
  echo "bench-checkout.sh: the ledger invariant check failed (see above)" >&2
  exit 1
fi
