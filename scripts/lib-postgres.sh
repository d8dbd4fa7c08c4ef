#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks. Source it, then:
#
#   pg_start [DBNAME]   start a cluster and create superuser role hwc3d (password
#                       hwc3d) and database DBNAME (default hwc3d_test); sets
#                       PG_PORT, PG_URL (postgres://hwc3d:hwc3d@127.0.0.1:PORT/DBNAME),
#                       PG_TMPDIR, PG_BIN
#   pg_stop             stop it and delete its directory; safe to call twice or
#                       before pg_start, so it belongs in an EXIT trap
#
# Everything lives in one mktemp directory (data, unix socket, log) and the server
# listens on 127.0.0.1 only, on a free port, so it never meets a system cluster.
# Durability is switched off: the data is thrown away anyway and tests run faster.
#
# Meant to be sourced by scripts that already `set -euo pipefail`.

PG_SYSTEM_USER="${PG_SYSTEM_USER:-hwc3d-pg}"
PG_TMPDIR="${PG_TMPDIR:-}"
PG_PORT="${PG_PORT:-}"
PG_URL="${PG_URL:-}"
PG_BIN="${PG_BIN:-}"

_pg_log() { printf 'postgres: %s\n' "$*" >&2; }

# Highest installed major version of Debian's server binaries.
_pg_find_bin() {
  local dir best="" best_ver=-1 ver
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/postgres" ]] || continue
    ver="${dir#/usr/lib/postgresql/}"
    ver="${ver%%/*}"
    # Versions are integers since 10; anything else (9.6) is compared by its major part.
    ver="${ver%%.*}"
    if [[ "$ver" =~ ^[0-9]+$ ]] && ((ver > best_ver)); then
      best_ver="$ver"
      best="$dir"
    fi
  done
  if [[ -z "$best" ]]; then
    _pg_log "no server binaries in /usr/lib/postgresql/*/bin (run scripts/ensure-deps.sh test)"
    return 1
  fi
  printf '%s\n' "$best"
}

# Any loopback port the kernel considers free right now.
_pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# initdb and postgres refuse to run as root, so as root they run as a dedicated
# unprivileged system user. They run from inside the cluster directory because
# the caller's working directory may not be readable by that user.
_pg_as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd "$PG_TMPDIR" && runuser -u "$PG_SYSTEM_USER" -- "$@")
  else
    (cd "$PG_TMPDIR" && "$@")
  fi
}

_pg_ensure_system_user() {
  [[ "$(id -u)" -eq 0 ]] || return 0
  if ! id -u "$PG_SYSTEM_USER" >/dev/null 2>&1; then
    _pg_log "creating system user $PG_SYSTEM_USER"
    useradd --system --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --user-group "$PG_SYSTEM_USER"
  fi
}

pg_start() {
  local dbname="${1:-hwc3d_test}" attempt started=false
  # Each step says `|| return 1` because callers may run this in an `if`, where
  # bash switches errexit off inside the function.
  PG_BIN="$(_pg_find_bin)" || return 1
  _pg_ensure_system_user || return 1

  # As root, use /tmp rather than $TMPDIR: a TMPDIR under /root would not be
  # traversable by the unprivileged server user.
  local parent="${TMPDIR:-/tmp}"
  [[ "$(id -u)" -eq 0 ]] && parent=/tmp
  PG_TMPDIR="$(mktemp -d "$parent/hwc3d-pg.XXXXXX")" || return 1
  mkdir -p "$PG_TMPDIR/data" "$PG_TMPDIR/sock" || return 1
  if [[ "$(id -u)" -eq 0 ]]; then
    chown -R "$PG_SYSTEM_USER:" "$PG_TMPDIR" || return 1
  fi

  # --locale=C keeps initdb independent of whatever locales the machine has.
  if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_TMPDIR/data" -U postgres \
    --auth=trust --encoding=UTF8 --locale=C >"$PG_TMPDIR/initdb.log" 2>&1; then
    _pg_log "initdb failed:"
    cat "$PG_TMPDIR/initdb.log" >&2
    return 1
  fi

  # Settings go on the command line, not into postgresql.conf, so each retry can
  # use another port. Only trust auth exists (initdb --auth=trust), and only
  # loopback and the private socket directory are reachable.
  for attempt in 1 2 3 4 5; do
    PG_PORT="$(_pg_free_port)" || return 1
    if _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMPDIR/data" -l "$PG_TMPDIR/postgres.log" \
      -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $PG_PORT \
        -c unix_socket_directories=$PG_TMPDIR/sock \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=600" start >/dev/null; then
      started=true
      break
    fi
    # Most likely someone took the port between our probe and the bind; try another.
    _pg_log "start attempt $attempt on port $PG_PORT failed; retrying"
  done
  if [[ "$started" != true ]]; then
    _pg_log "could not start the server; log follows"
    cat "$PG_TMPDIR/postgres.log" >&2 || true
    return 1
  fi

  # The tests create a database per test through this role, hence SUPERUSER (which
  # implies CREATEDB). The password is there for clients that insist on sending one.
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_TMPDIR/sock" -p "$PG_PORT" -U postgres -d postgres)
  if ! _pg_as_owner "${psql[@]}" \
    -c "CREATE ROLE hwc3d WITH LOGIN SUPERUSER CREATEDB PASSWORD 'hwc3d'" \
    -c "CREATE DATABASE \"$dbname\" OWNER hwc3d" >&2; then
    _pg_log "creating role/database failed"
    return 1
  fi

  PG_URL="postgres://hwc3d:hwc3d@127.0.0.1:$PG_PORT/$dbname"
  export PG_TMPDIR PG_PORT PG_URL PG_BIN
  _pg_log "$("$PG_BIN/postgres" --version | head -n1) ready on 127.0.0.1:$PG_PORT (dir $PG_TMPDIR)"
}

pg_stop() {
  [[ -n "$PG_TMPDIR" && -d "$PG_TMPDIR" ]] || return 0
  if [[ -f "$PG_TMPDIR/data/postmaster.pid" ]]; then
    # Immediate mode: nothing here is worth a clean checkpoint.
    if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMPDIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
      local pid
      pid="$(head -n1 "$PG_TMPDIR/data/postmaster.pid" 2>/dev/null || true)"
      if [[ "$pid" =~ ^[0-9]+$ ]]; then
        _pg_log "pg_ctl stop failed; killing postmaster $pid"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -rf "$PG_TMPDIR"
  _pg_log "stopped and removed $PG_TMPDIR"
  PG_TMPDIR=""
}
