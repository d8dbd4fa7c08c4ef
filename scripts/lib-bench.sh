# Shared pieces of the benchmarks (scripts/bench.sh, scripts/bench-catalogue.sh, scripts/bench-checkout.sh).
# Source it after setting BENCH_NAME (used in messages and the work directory's name); it sets WORK, SERVER_PID,
# SERVER_LOG and the EXIT/INT/TERM traps that stop the server and any throwaway PostgreSQL
# (scripts/lib-postgres.sh, sourced first). Then: release_binary (sets BIN), bench_databases (DB -> DBS),
# open_database (throwaway PostgreSQL or a fresh SQLite file; sets DB_URL, DB_TITLE, DB_TARGET), run_hwc3d,
# start_server/stop_server, wrk_route (one route with wrk) and checkout_run (the checkout load and the ledger
# checks). BENCH_SERVER_ENV ("VAR=value ...") is added to every server's and command's settings.

log() { printf '==> %s\n' "$*" >&2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hwc3d-${BENCH_NAME%.sh}.XXXXXX")"
SERVER_PID=""
SERVER_LOG=""

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  # Give it a graceful shutdown, then insist: a stuck server must not outlive us.
  for _ in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  local rc=$?
  trap - EXIT
  stop_server
  if [[ "$rc" -ne 0 && -n "$SERVER_LOG" && -s "$SERVER_LOG" ]]; then
    echo "---- last lines of the server log ($SERVER_LOG) ----" >&2
    tail -n 40 "$SERVER_LOG" >&2 || true
  fi
  pg_stop || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Sets BIN: $BENCH_BIN as given, or a release build in its own scratch directory, so it never invalidates the
# debug build the tests use.
release_binary() {
  local build_flags
  read -r -a build_flags <<<"${SWIFT_BUILD_FLAGS:-}"
  if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN="$BENCH_BIN"
  else
    log "swift build -c release --scratch-path .build-release ${build_flags[*]}"
    swift build -c release --scratch-path .build-release "${build_flags[@]}"
    BIN="$(swift build -c release --scratch-path .build-release --show-bin-path "${build_flags[@]}")/hwc3d"
  fi
  [[ -x "$BIN" ]] || {
    echo "$BENCH_NAME: no executable at $BIN" >&2
    exit 1
  }
}

# Waits up to 60 s for the server started as $SERVER_PID to answer $BASE/health.
wait_until_healthy() {
  for _ in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "$BENCH_NAME: the server exited during start-up" >&2
      SERVER_PID=""
      return 1
    fi
    if curl -fsS -o /dev/null --max-time 2 "$BASE/health" 2>/dev/null; then
      log "healthy"
      return 0
    fi
    sleep 0.2
  done
  echo "$BENCH_NAME: /health did not answer within 60 s" >&2
  return 1
}

# DB=sqlite|postgres|both (empty: $1, the script's default, "both" or "postgres") -> DBS, PostgreSQL first.
bench_databases() { # default
  case "${DB:-$1}" in
    both | all) DBS=(postgres sqlite) ;;
    sqlite) DBS=(sqlite) ;;
    postgres | postgresql | pg) DBS=(postgres) ;;
    *)
      echo "$BENCH_NAME: DB must be sqlite, postgres or both, not '$DB'" >&2
      exit 2
      ;;
  esac
}

JWT_SECRET_VALUE="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
read -r -a BENCH_EXTRA_SERVER_ENV <<<"${BENCH_SERVER_ENV:-}"

# Settings of the binary for database $1 (URL in $2 for PostgreSQL), into ENV_ARGS. PAYMENTS_SANDBOX only lets
# the checkout benchmark pay; the read routes do not look at it.
server_env() { # db url
  ENV_ARGS=(
    DATA_DIR="$WORK/$1/data" APP_ENV=production LOG_LEVEL=warning RATE_LIMIT_ENABLED=false
    JWT_SECRET="$JWT_SECRET_VALUE" PAYMENTS_SANDBOX=true
  )
  if [[ -n "$2" ]]; then ENV_ARGS+=(DATABASE_URL="$2"); fi
  ENV_ARGS+=("${BENCH_EXTRA_SERVER_ENV[@]}")
}

# `hwc3d <command>` with the benchmark's settings; env -u: a DATABASE_URL from the caller's shell must not leak
# into the SQLite run. No job worker: a command must not pick up the e-mails a load queued.
run_hwc3d() { # db url command
  server_env "$1" "$2"
  env -u DATABASE_URL "${ENV_ARGS[@]}" JOB_WORKER=false "$BIN" "$3"
}

# `hwc3d serve` as its own process on a free loopback port; sets BASE, SERVER_PID, SERVER_LOG.
start_server() { # db url [VAR=value...]
  local db="$1" url="$2" port
  port="$(free_port)"
  SERVER_LOG="$WORK/$db/server.log"
  BASE="http://127.0.0.1:$port"
  log "starting $BIN serve on $BASE ($db${3:+, ${*:3}})"
  server_env "$db" "$url"
  env -u DATABASE_URL "${ENV_ARGS[@]}" "${@:3}" HOST=127.0.0.1 PORT="$port" "$BIN" serve </dev/null >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_until_healthy
}

# An empty database with the application's schema (`hwc3d reindex-search` creates it): a throwaway PostgreSQL
# cluster, or a fresh SQLite file under $WORK/$db/data. Sets DB_URL (empty for SQLite), DB_TITLE and DB_TARGET
# (the arguments scripts/bench_*_data.py take for it).
open_database() { # db pg-dbname
  local db="$1"
  DB_URL=""
  DB_TITLE="SQLite"
  mkdir -p "$WORK/$db/data"
  if [[ "$db" == postgres ]]; then
    log "starting throwaway PostgreSQL"
    pg_start "$2"
    DB_URL="$PG_URL"
    DB_TITLE="PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
    DB_TARGET=(postgres "$DB_URL" --psql "$PG_BIN/psql")
  else
    DB_TARGET=(sqlite "$WORK/$db/data/hwc3d.sqlite")
  fi
  log "creating the schema ($db)"
  run_hwc3d "$db" "$DB_URL" reindex-search >/dev/null
}

json_field() { # json key
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# One route with wrk against $BASE: refuses a route that does not answer 200 (it would benchmark the error path),
# then a 3 s warm-up and $RUNS runs of $DURATION into DIR/run-N.txt; DIR/route gets LABEL, DIR/connections the
# connection count. Extra arguments (e.g. -H "Authorization: Bearer ...") go to curl and wrk alike.
wrk_route() { # dir label path connections [header args...]
  local dir="$1" label="$2" path="$3" connections="$4" status n
  shift 4
  status="$(curl -sS -o "$WORK/check.out" -w '%{http_code}' --max-time 30 "$@" "$BASE$path")"
  if [[ "$status" != 200 ]]; then
    echo "$BENCH_NAME: GET $path answered $status, not 200:" >&2
    head -c 2000 "$WORK/check.out" >&2
    echo >&2
    return 1
  fi
  mkdir -p "$dir"
  printf '%s\n' "$label" >"$dir/route"
  printf '%s\n' "$connections" >"$dir/connections"
  log "$label, $connections connections: warm-up 3s, then $RUNS x $DURATION"
  wrk -t2 "-c$connections" --latency -d3s "$@" "$BASE$path" >/dev/null
  for n in $(seq 1 "$RUNS"); do
    wrk -t2 "-c$connections" --latency -d"$DURATION" "$@" "$BASE$path" >"$dir/run-$n.txt"
    grep -E '^Requests/sec|^ +99%' "$dir/run-$n.txt" | tr -s ' ' | paste -sd' ' | sed "s|^|    run $n: |" >&2
  done
}

# The checkout benchmark against the running server ($BASE, $SERVER_PID on database $db): BUYERS.json (from
# `bench_checkout_data.py seed`) buyers in scripts/bench_checkout_load.py, a warm-up of $WARMUP s and $RUNS runs of
# $CHECKOUT_SECONDS s; then it stops the server (nothing may write while the ledger is checked) and checks the ledger
# with `hwc3d ledger-check` and `bench_checkout_data.py check`. Writes into DIR: load.json, table.md, ledger.json
# ({"ok": ..., "app": line, "sql": line}) and section.md (the table, the ledger lines and the errors the server and
# PostgreSQL logged). Sets CHECKOUT_OK to true or false (the ledger holds, or not, or the load generator failed
# before writing anything); call it as a plain command, not in an `if`, so errexit stays on for its own steps.
checkout_run() { # db url dir title buyers.json
  local db="$1" url="$2" dir="$3" title="$4" buyers="$5" server_errors pg_errors purchases items ledger_out
  local ledger_line check_json check_line ok=true
  mkdir -p "$dir"
  log "checkout: $(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["buyers"]))' "$buyers") buyers, ${WARMUP} s warm-up, then $RUNS x ${CHECKOUT_SECONDS} s"
  if ! python3 "$ROOT/scripts/bench_checkout_load.py" --base "$BASE" --buyers "$buyers" --runs "$RUNS" \
    --duration "$CHECKOUT_SECONDS" --warmup "$WARMUP" --json "$dir/load.json" --markdown "$dir/table.md" \
    --title "$title"; then
    log "the checkout load generator failed (above)"
  fi
  stop_server
  # Production logs are JSON lines; what the server logged as an error explains the load's 5xx answers.
  server_errors="$(grep -E '"level" ?: ?"(error|critical)"' "$SERVER_LOG" | head -n 8 | cut -c1-1200 || true)"
  if [[ "$db" == postgres && -f "$PG_TMPDIR/postgres.log" ]]; then
    # And PostgreSQL's side of them (deadlocks, constraint violations), before pg_stop deletes its log.
    pg_errors="$(grep -E -A2 '(ERROR|FATAL):' "$PG_TMPDIR/postgres.log" | grep -vE '^--$' | head -n 12 | cut -c1-600 || true)"
    server_errors="${server_errors}${pg_errors:+${server_errors:+$'\n'}$pg_errors}"
  fi
  SERVER_LOG=""
  if [[ ! -f "$dir/load.json" ]]; then
    # It stopped before measuring anything (no buyer could sign in, say): nothing to check the ledger against.
    printf '{"ok": false, "app": "not checked", "sql": "not checked"}\n' >"$dir/ledger.json"
    {
      printf '### %s\n\n**The load generator failed before measuring anything** (its output is in the log above).\n' "$title"
      if [[ -n "$server_errors" ]]; then
        printf '\nErrors in the server log (first lines):\n\n```\n%s\n```\n' "$server_errors"
      fi
    } >"$dir/section.md"
    CHECKOUT_OK=false
    return 0
  fi

  purchases="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["purchases"])' "$dir/load.json")"
  items="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["items"])' "$dir/load.json")"
  log "hwc3d ledger-check"
  # Its report is the lines that are not JSON log records: one per problem, then "ledger ok|NOT OK: ...".
  if ledger_out="$(run_hwc3d "$db" "$url" ledger-check 2>&1)"; then
    ledger_line="passed: $(grep -v '^{' <<<"$ledger_out" | tail -n1)"
  else
    ok=false
    if grep -qiE 'unknown command|no such command' <<<"$ledger_out"; then
      ledger_line="**missing**: this build has no \`ledger-check\` command ($(grep -v '^{' <<<"$ledger_out" | tail -n1))"
    else
      ledger_line="**FAILED**: $(grep -v '^{' <<<"$ledger_out" | tail -n 20 | paste -sd';' -)"
    fi
  fi
  log "ledger-check $ledger_line"
  log "SQL cross-check"
  if ! check_json="$(python3 "$ROOT/scripts/bench_checkout_data.py" check "${DB_TARGET[@]}" \
    --expect-transactions "$purchases" --expect-items "$items")"; then
    ok=false
  fi
  check_line="$(json_field "$check_json" summary)"
  log "invariant $check_line"
  python3 -c 'import json, sys; print(json.dumps({"ok": sys.argv[1] == "true", "app": sys.argv[2], "sql": sys.argv[3]}))' \
    "$ok" "$ledger_line" "$check_line" >"$dir/ledger.json"
  {
    cat "$dir/table.md"
    echo
    echo "Ledger afterwards (load generator's totals including the warm-up: $purchases purchases, $items items):"
    echo
    echo "- \`hwc3d ledger-check\` $ledger_line"
    echo "- SQL cross-check $check_line"
    if [[ -n "$server_errors" ]]; then
      printf '\nErrors in the server log (first lines):\n\n```\n%s\n```\n' "$server_errors"
    fi
  } >"$dir/section.md"
  CHECKOUT_OK="$ok"
}
