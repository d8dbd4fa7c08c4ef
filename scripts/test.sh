#!/usr/bin/env bash
# The whole HWC3D test suite: build once, then run it on SQLite and on a throwaway
# PostgreSQL cluster. Exits non-zero if the build or any run fails.
#
#   scripts/test.sh                    both databases (what `make test` and CI run)
#   DB=sqlite scripts/test.sh          only SQLite   (DB=postgres: only PostgreSQL)
#   FILTER=AuthTests scripts/test.sh   passed to `swift test --filter`
#
# Other knobs (all optional):
#   SWIFT_BUILD_FLAGS   extra flags for `swift build` AND `swift test` (they must
#                       agree, e.g. `-c release` or `--scratch-path`, or --skip-build
#                       would look for products that were never built)
#   SWIFT_TEST_FLAGS    extra flags for `swift test` only (e.g. --parallel)
#   TEST_TIMEOUT        seconds per test run before it is killed (default 1800, 0 = none),
#                       so a hung test fails clearly instead of eating CI's 90 minutes
#   HWC3D_TEST_POSTGRES_URL  if already set, use that server instead of starting one
#   HWC3D_TEST_S3_ENDPOINT   if already set, use that S3-compatible server instead of starting one
#                            (with HWC3D_TEST_S3_ACCESS_KEY_ID / HWC3D_TEST_S3_SECRET_ACCESS_KEY)
#
# Environment the Swift tests see:
#   HWC3D_TEST_DATABASE       sqlite | postgres
#   HWC3D_TEST_POSTGRES_URL   postgres://hwc3d:hwc3d@127.0.0.1:PORT/hwc3d_test (postgres run
#                             only; the role is a superuser, so tests may CREATE DATABASE)
#   HWC3D_SMTP_TEST_SERVER    absolute path of Tests/tools/smtp_server.py
#   HWC3D_TEST_PYTHON         absolute path of a python3 that can import aiosmtpd, pyotp and moto
#   HWC3D_TEST_S3_ENDPOINT    http://127.0.0.1:PORT of Tests/tools/s3_server.py (moto), started once
#                             for both runs and stopped at the end
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/lib-postgres.sh
source "$ROOT/scripts/lib-postgres.sh"

DB="${DB:-}"
FILTER="${FILTER:-}"
TEST_TIMEOUT="${TEST_TIMEOUT:-1800}"
case "${DB:-both}" in
  both | all) runs=(sqlite postgres) ;;
  sqlite) runs=(sqlite) ;;
  postgres | postgresql | pg) runs=(postgres) ;;
  *)
    echo "test.sh: DB must be sqlite, postgres or empty (both), not '$DB'" >&2
    exit 2
    ;;
esac

# Word-split on purpose: these are flag lists given as one string (no quoting inside).
read -r -a build_flags <<<"${SWIFT_BUILD_FLAGS:-}"
read -r -a test_flags <<<"${SWIFT_TEST_FLAGS:-}"
if [[ -n "$FILTER" ]]; then
  test_flags+=(--filter "$FILTER")
fi

# A URL given from outside means "use my server"; otherwise we start our own.
EXTERNAL_PG_URL="${HWC3D_TEST_POSTGRES_URL:-}"
unset HWC3D_TEST_POSTGRES_URL

declare -a summary=()
failed=0
CHILD_PID=""

print_summary() {
  ((${#summary[@]} > 0)) || return 0
  echo
  echo "==================== HWC3D test summary ===================="
  printf '%s\n' "${summary[@]}"
  if ((failed)); then
    echo "RESULT: FAILED"
  else
    echo "RESULT: all runs passed"
  fi
  echo "============================================================"
}

# The S3 test server test.sh started, if any (see below); stopped by its pid on exit.
S3_PID=""
s3_log=""
s3_stop() {
  if [[ -n "$S3_PID" ]]; then
    kill "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
    S3_PID=""
  fi
  if [[ -n "$s3_log" ]]; then rm -rf "$s3_log"; fi
}

cleanup() {
  local rc=$?
  trap - EXIT
  pg_stop || true
  s3_stop || true
  print_summary
  exit "$rc"
}
trap cleanup EXIT

# Children run in the background and we `wait` for them, so a signal reaches the
# trap at once (bash defers traps while a foreground child runs); the trap then
# stops the child before the EXIT trap tears the cluster down.
on_signal() {
  local sig="$1" code="$2"
  echo "test.sh: caught SIG$sig, stopping" >&2
  if [[ -n "$CHILD_PID" ]]; then
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  summary+=("interrupted      by SIG$sig")
  failed=1
  exit "$code"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

run_child() {
  local rc=0
  "$@" &
  CHILD_PID=$!
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=""
  return "$rc"
}

# `timeout` puts the command in its own process group and on expiry kills the
# whole group, including the test runner process swift test spawns. It is a
# command prefix (not a shell function) so run_child's PID is the real process.
timeout_prefix=()
if [[ "$TEST_TIMEOUT" =~ ^[1-9][0-9]*$ ]]; then
  timeout_prefix=(timeout --kill-after=30 "$TEST_TIMEOUT")
fi
swift_test=("${timeout_prefix[@]}" swift test --skip-build "${build_flags[@]}" "${test_flags[@]}")

record() { # name rc seconds
  local name="$1" rc="$2" secs="$3" state
  if [[ "$rc" -eq 0 ]]; then
    state="PASSED"
  elif [[ "$rc" -eq 124 || "$rc" -eq 137 ]] && [[ "$TEST_TIMEOUT" != 0 ]]; then
    state="FAILED (timed out after ${TEST_TIMEOUT}s, exit $rc)"
    failed=1
  else
    state="FAILED (exit $rc)"
    failed=1
  fi
  summary+=("$(printf '%-16s %-8s %s' "$name" "${secs}s" "$state")")
}

bash "$ROOT/scripts/ensure-deps.sh" test

# Tests start the SMTP server as a subprocess; give them absolute paths, and the
# interpreter ensure-deps.sh just checked (python3 on PATH may be a pyenv shim).
HWC3D_SMTP_TEST_SERVER="$ROOT/Tests/tools/smtp_server.py"
HWC3D_TEST_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
export HWC3D_SMTP_TEST_SERVER HWC3D_TEST_PYTHON

echo "==> swift build --build-tests ${build_flags[*]}"
start=$SECONDS
rc=0
run_child swift build --build-tests "${build_flags[@]}" || rc=$?
record build "$rc" $((SECONDS - start))
if [[ "$rc" -ne 0 ]]; then
  exit 1
fi

# The S3-compatible server of the storage tests. If it cannot start, the tests start
# their own or, failing that, skip (and fail under CI) with a message saying why.
if [[ -n "${HWC3D_TEST_S3_ENDPOINT:-}" ]]; then
  echo "==> using the S3-compatible server at $HWC3D_TEST_S3_ENDPOINT"
else
  echo "==> starting the S3 test server (moto)"
  s3_log="$(mktemp -d)"
  "$HWC3D_TEST_PYTHON" "$ROOT/Tests/tools/s3_server.py" --port 0 \
    >"$s3_log/out" 2>"$s3_log/err" </dev/null &
  S3_PID=$!
  for _ in $(seq 1 300); do
    grep -q '^READY ' "$s3_log/out" 2>/dev/null && break
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.1
  done
  s3_port="$(awk '/^READY /{print $2; exit}' "$s3_log/out" 2>/dev/null)"
  if [[ -n "$s3_port" ]]; then
    export HWC3D_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
    echo "    listening at $HWC3D_TEST_S3_ENDPOINT"
  else
    echo "test.sh: the S3 test server did not start:" >&2
    cat "$s3_log/err" >&2 || true
    s3_stop
  fi
fi

for db in "${runs[@]}"; do
  if [[ "$db" == postgres ]]; then
    if [[ -n "$EXTERNAL_PG_URL" ]]; then
      pg_url="$EXTERNAL_PG_URL"
      echo "==> using PostgreSQL from HWC3D_TEST_POSTGRES_URL"
    else
      echo "==> starting throwaway PostgreSQL"
      start=$SECONDS
      if ! pg_start hwc3d_test; then
        record "postgres start" 1 $((SECONDS - start))
        continue
      fi
      pg_url="$PG_URL"
    fi
    echo "==> swift test on PostgreSQL ($pg_url)"
    start=$SECONDS
    rc=0
    HWC3D_TEST_DATABASE=postgres HWC3D_TEST_POSTGRES_URL="$pg_url" \
      run_child "${swift_test[@]}" || rc=$?
    record "postgres" "$rc" $((SECONDS - start))
    pg_stop || true
  else
    echo "==> swift test on SQLite"
    start=$SECONDS
    rc=0
    HWC3D_TEST_DATABASE=sqlite \
      run_child "${swift_test[@]}" || rc=$?
    record "sqlite" "$rc" $((SECONDS - start))
  fi
done

if ((failed)); then
  exit 1
fi
