# Shared pieces of the wrk benchmarks (scripts/bench.sh, scripts/bench-catalogue.sh). Source it after setting
# BENCH_NAME (used in messages and the work directory's name); it sets WORK, SERVER_PID, SERVER_LOG and the
# EXIT/INT/TERM traps that stop the server and any throwaway PostgreSQL (scripts/lib-postgres.sh, sourced first).

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
