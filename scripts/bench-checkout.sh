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
BENCH_NAME=bench-checkout.sh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

bench_databases postgres
BUYERS="${BENCH_BUYERS:-32}"
CHECKOUT_SECONDS="${BENCH_DURATION:-10}"
CHECKOUT_SECONDS="${CHECKOUT_SECONDS%s}" # "10s", as bench-catalogue takes it, means 10 here too
RUNS="${BENCH_RUNS:-3}"
WARMUP="${BENCH_WARMUP:-3}"
WARMUP="${WARMUP%s}"
MODELS="${BENCH_MODELS:-60000}"
OUT_MD="$ROOT/bench-checkout-results.md"

bash "$ROOT/scripts/ensure-deps.sh" bench
release_binary
STARTED=$SECONDS
# The machine is shared with builds and test runs; the results say how busy it was when this started.
LOADAVG_AT_START="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

sections=()
NOTES=()
failed=false
for db in "${DBS[@]}"; do
  dir="$WORK/$db"
  open_database "$db" hwc3d_bench_checkout
  log "generating $MODELS models and $BUYERS buyers"
  summary="$(python3 "$ROOT/scripts/bench_checkout_data.py" seed "${DB_TARGET[@]}" --models "$MODELS" --buyers "$BUYERS" \
    --out "$dir/buyers.json")"
  log "$(json_field "$summary" summary)"
  NOTES+=("- $DB_TITLE data: $(json_field "$summary" summary)")

  start_server "$db" "$DB_URL"
  checkout_run "$db" "$DB_URL" "$dir/checkout" "$DB_TITLE" "$dir/buyers.json"
  [[ "$CHECKOUT_OK" == true ]] || failed=true
  sections+=("$(cat "$dir/checkout/section.md")
")
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
  echo "- $(swift --version 2>/dev/null | head -n1 || echo 'swift: unknown'), release build; APP_ENV=production, LOG_LEVEL=warning, RATE_LIMIT_ENABLED=false, PAYMENTS_SANDBOX=true, job worker on${BENCH_EXTRA_SERVER_ENV[*]:+, ${BENCH_EXTRA_SERVER_ENV[*]}}"
  echo "- load: scripts/bench_checkout_load.py (Python asyncio + aiohttp, a second process on loopback): $BUYERS buyers with distinct carts, each in a closed loop of add 1–3 models to the cart → POST /checkout (sandbox, fresh Idempotency-Key) → capture; ${WARMUP} s warm-up, then $RUNS runs of ${CHECKOUT_SECONDS} s; medians shown; a purchase = one completed capture"
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
