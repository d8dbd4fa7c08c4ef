#!/usr/bin/env bash
# The benchmark (`make bench`): issue 11's targets, measured on the release build, written to one report.
#
# For each database (a throwaway PostgreSQL cluster, then a fresh SQLite file) it lets `hwc3d reindex-search`
# create the schema, fills it with scripts/bench_checkout_data.py seed (the generated catalogue of
# scripts/bench_catalogue_data.py, $BENCH_MODELS models, plus $BENCH_BUYERS verified buyers who share out the models
# for sale, and one reader account that owns, likes and buys nothing), builds the search index with
# `hwc3d reindex-search` (the application's own code, which also vacuums and analyses after the bulk load), then
# starts ONE `hwc3d serve` (APP_ENV=production, CATALOGUE_CACHE_SECONDS=0 so search runs in full every time;
# only GET /api/v1/models is ever cached) and drives it from other processes on loopback:
#
#   - wrk -t2, at 64 and then at 16 connections: GET /health (the baseline of every ratio in the same run),
#     /api/v1/users/{the sample model's creator}, /api/v1/users/me (Bearer), /api/v1/models/{slug} anonymous and
#     with the reader's Bearer token; then, at 16 connections, search with a text query, two filters and the
#     facets every answer carries (/api/v1/models?q=chair&category=furniture&license=cc0);
#     a 3 s warm-up, then $BENCH_RUNS runs of $BENCH_DURATION per route, medians;
#   - scripts/bench_checkout_load.py: $BENCH_BUYERS buyers in a closed loop cart -> checkout -> sandbox capture,
#     a warm-up, then $BENCH_RUNS runs of $BENCH_DURATION; then, with the server stopped, the ledger checked by
#     `hwc3d ledger-check` and straight from SQL.
#
# scripts/bench_report.py then writes bench-results.md in the repository root (not meant for git): per database
# the routes table (connections, req/s, ratio to /health at the same connection count, p50, p99) and the checkout
# figures, then the targets table with each target, the measured value and pass/fail. The script exits 1 when the
# ledger does not hold or a route does not answer 200; a missed target is reported, not an error.
#
# Knobs (optional): DB=sqlite|postgres|both (default both), BENCH_MODELS (default 100000), BENCH_DURATION (per run,
# default 10s), BENCH_RUNS (default 3), BENCH_BUYERS (default 32), BENCH_WARMUP (checkout warm-up seconds, default
# 3), BENCH_BIN=path (benchmark that binary, skip the build), SWIFT_BUILD_FLAGS (extra `swift build` flags),
# BENCH_SERVER_ENV ("VAR=value ..." added to the server's settings). The parts on their own: `make bench-catalogue`
# (every catalogue route, cached and not) and `make bench-checkout` (checkout only).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib-postgres.sh
source "$ROOT/scripts/lib-postgres.sh"
BENCH_NAME=bench.sh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

bench_databases both
MODELS="${BENCH_MODELS:-100000}"
DURATION="${BENCH_DURATION:-10s}"
[[ "$DURATION" =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
CHECKOUT_SECONDS="${DURATION%s}"
[[ "$CHECKOUT_SECONDS" =~ ^[0-9]+$ ]] || {
  echo "bench.sh: BENCH_DURATION must be whole seconds (10 or 10s), not '$DURATION'" >&2
  exit 2
}
RUNS="${BENCH_RUNS:-3}"
BUYERS="${BENCH_BUYERS:-32}"
WARMUP="${BENCH_WARMUP:-3}"
WARMUP="${WARMUP%s}"
SEARCH_ROUTE="/api/v1/models?q=chair&category=furniture&license=cc0"
OUT_MD="$ROOT/bench-results.md"
REPORT="$WORK/report"

bash "$ROOT/scripts/ensure-deps.sh" bench
release_binary
STARTED=$SECONDS
LOADAVG_AT_START="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

# Signs the reader in; prints its access token.
sign_in() { # email password
  local body status
  body="$(python3 -c 'import json, sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' "$1" "$2")"
  status="$(curl -sS -o "$WORK/login.json" -w '%{http_code}' --max-time 30 \
    -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' --data "$body")"
  if [[ "$status" != 200 ]]; then
    echo "bench.sh: POST /api/v1/auth/login answered $status:" >&2
    cat "$WORK/login.json" >&2
    echo >&2
    return 1
  fi
  python3 "$ROOT/scripts/bench_report.py" token <"$WORK/login.json"
}

failed=false
for db in "${DBS[@]}"; do
  out="$REPORT/$db"
  mkdir -p "$out"
  open_database "$db" hwc3d_bench
  log "generating $MODELS models, $BUYERS buyers and a reader"
  summary="$(python3 "$ROOT/scripts/bench_checkout_data.py" seed "${DB_TARGET[@]}" --models "$MODELS" \
    --buyers "$BUYERS" --out "$WORK/$db/buyers.json")"
  log "$(json_field "$summary" summary)"
  log "building the search index"
  index_line="$(run_hwc3d "$db" "$DB_URL" reindex-search | tail -n1)"
  log "$index_line"
  printf '%s\n' "$DB_TITLE" >"$out/title"
  printf -- '- data: %s; `hwc3d reindex-search`: %s\n' "$(json_field "$summary" summary)" "$index_line" >"$out/notes.md"

  start_server "$db" "$DB_URL" CATALOGUE_CACHE_SECONDS=0
  token="$(sign_in "$(json_field "$summary" reader_email)" "$(json_field "$summary" reader_password)")"
  auth=(-H "Authorization: Bearer $token")
  creator="$(json_field "$summary" sample_creator)"
  slug="$(json_field "$summary" sample_slug)"
  res="$out/routes"
  n=10 # two digits, so the directories sort in the order measured
  for connections in 64 16; do
    # bench_report.py knows the routes by their labels.
    wrk_route "$res/$((n += 1))" "GET /health" /health "$connections"
    wrk_route "$res/$((n += 1))" "GET /api/v1/users/{username}" "/api/v1/users/$creator" "$connections"
    wrk_route "$res/$((n += 1))" "GET /api/v1/users/me (signed in)" /api/v1/users/me "$connections" "${auth[@]}"
    wrk_route "$res/$((n += 1))" "GET /api/v1/models/{slug}" "/api/v1/models/$slug" "$connections"
    wrk_route "$res/$((n += 1))" "GET /api/v1/models/{slug} (signed in)" "/api/v1/models/$slug" "$connections" "${auth[@]}"
  done
  # The search target: facets come with every answer; refuse an answer without them.
  wrk_route "$res/$((n += 1))" "GET $SEARCH_ROUTE (cache off)" "$SEARCH_ROUTE" 16
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d.get("facets"), "no facets in the search answer"' \
    "$WORK/check.out"

  checkout_run "$db" "$DB_URL" "$out/checkout" "$DB_TITLE: checkout, $BUYERS buyers" "$WORK/$db/buyers.json"
  [[ "$CHECKOUT_OK" == true ]] || failed=true
  if [[ "$db" == postgres ]]; then
    pg_stop
  fi
done
elapsed=$((SECONDS - STARTED))
if [[ -n "${BENCH_BIN:-}" ]]; then
  BIN_TEXT="BENCH_BIN=$BIN (as given, not built here)"
else
  BIN_TEXT="release build ($BIN)"
fi

{
  echo "## HWC3D benchmark"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes in Sources/')"
  echo "- machine: nproc=$(nproc), $(uname -srm); wrk, the load generator, the server and the database share these cores; load average at the start: $LOADAVG_AT_START"
  echo "- $(swift --version 2>/dev/null | head -n1 || echo 'swift: unknown'), $BIN_TEXT; one server per database: APP_ENV=production, LOG_LEVEL=warning, RATE_LIMIT_ENABLED=false, CATALOGUE_CACHE_SECONDS=0, PAYMENTS_SANDBOX=true, job worker on${BENCH_EXTRA_SERVER_ENV[*]:+, ${BENCH_EXTRA_SERVER_ENV[*]}}"
  echo "- reads: wrk -t2 -cN --latency -d$DURATION from a second process on loopback, $RUNS runs after a 3 s warm-up, medians; 'vs /health' = req/s ÷ the req/s of /health at the same connection count in the same run; signed in = the reader account's Bearer token; the profile is the sample model's creator's"
  echo "- checkout: scripts/bench_checkout_load.py (asyncio + aiohttp, a second process on loopback), $BUYERS buyers with distinct carts, each in a closed loop of add 1–3 models → POST /checkout (sandbox) → capture; ${WARMUP} s warm-up, then $RUNS runs of ${CHECKOUT_SECONDS} s, medians; a purchase = one completed capture"
  echo "- the whole benchmark took ${elapsed} s after the build"
} >"$REPORT/header.md"
python3 "$ROOT/scripts/bench_report.py" report "$REPORT" >"$OUT_MD"

echo
cat "$OUT_MD"
log "written to $OUT_MD"
if [[ "$failed" == true ]]; then
  echo "bench.sh: the ledger invariant check failed (see above)" >&2
  exit 1
fi
