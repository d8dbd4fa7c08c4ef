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
# build), SWIFT_BUILD_FLAGS (extra `swift build` flags), BENCH_ROUTES (see above), BENCH_SERVER_ENV ("VAR=value ..."
# added to the server's settings). `make bench` runs the issue's targets (detail, profiles, search, checkout) and
# reports pass/fail; this script measures every catalogue route, cached and not.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib-postgres.sh
source "$ROOT/scripts/lib-postgres.sh"
BENCH_NAME=bench-catalogue.sh
# shellcheck source=scripts/lib-bench.sh
source "$ROOT/scripts/lib-bench.sh"

bench_databases both
MODELS="${BENCH_MODELS:-100000}"
DURATION="${BENCH_DURATION:-10s}"
[[ "$DURATION" =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
RUNS="${BENCH_RUNS:-3}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
LIST_ROUTES="/api/v1/models?q=chair&category=furniture&license=cc0 /api/v1/models?q=wood /api/v1/models?q=low%20poly&sort=popular /api/v1/models"
# (Assigned apart: a `}` inside ${VAR:-default} would end the expansion.)
DEFAULT_ROUTES="/health $LIST_ROUTES /api/v1/models/{slug} /api/v1/models/{id}/related"
ROUTES="${BENCH_ROUTES:-$DEFAULT_ROUTES}"
UNCACHED_ROUTES="${BENCH_UNCACHED_ROUTES-$LIST_ROUTES}"
WRK_ARGS=(-t2 "-c$CONNECTIONS" --latency)
OUT_MD="$ROOT/bench-catalogue-results.md"

bash "$ROOT/scripts/ensure-deps.sh" bench
release_binary

bench_route() { # dir path [label suffix]
  local dir="$1" path="$2" suffix="${3:-}" status
  status="$(curl -sS -o "$WORK/check.out" -w '%{http_code}' --max-time 30 "$BASE$path")"
  if [[ "$status" != 200 ]]; then
    log "skipping GET $path: it answered $status"
    NOTES+=("- \`GET $path\` skipped on $TITLE: it answered $status ($(head -c 200 "$WORK/check.out" | tr '\n' ' '))")
    return 0
  fi
  wrk_route "$dir" "GET $path$suffix" "$path" "$CONNECTIONS"
}

tables=()
NOTES=()
for db in "${DBS[@]}"; do
  open_database "$db" hwc3d_bench_catalogue
  url="$DB_URL"
  TITLE="$DB_TITLE"
  log "generating $MODELS models"
  summary="$(python3 "$ROOT/scripts/bench_catalogue_data.py" "${DB_TARGET[@]}" --models "$MODELS")"
  log "$summary"
  log "building the search index"
  index_line="$(run_hwc3d "$db" "$url" reindex-search | tail -n1)"
  log "$index_line"
  field() { json_field "$summary" "$1"; }
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
  echo "- the targets (issue 11: detail, search at 16 connections, ...) are checked by \`make bench\`; this is every catalogue route at $CONNECTIONS connections"
  printf '%s\n' "${NOTES[@]}"
  echo
  printf '%s\n\n' "${tables[@]}"
} >"$OUT_MD"

echo
cat "$OUT_MD"
log "written to $OUT_MD"
