#!/usr/bin/env bash
# Installs what HWC3D needs from Debian and PyPI, and nothing when it is all there.
#
#   scripts/ensure-deps.sh run     libvips, zlib and zstd headers (system-library targets) and pkg-config
#   scripts/ensure-deps.sh test    run + PostgreSQL server, openssl, pip, aiosmtpd/pyotp/moto[server]
#   scripts/ensure-deps.sh bench   run + PostgreSQL server, wrk, curl, pip, aiohttp and websockets (load generators)
#
# Idempotent and quick when everything is present: it asks dpkg, and only runs
# `apt-get update` (slow) when a package is actually missing. Never reads stdin,
# so it works in CI, which has none.
set -euo pipefail

mode="${1:-run}"
case "$mode" in
  run | test | bench) ;;
  *)
    echo "usage: $0 [run|test|bench]" >&2
    exit 2
    ;;
esac

log() { printf 'ensure-deps: %s\n' "$*" >&2; }

# Root (CI, containers) runs apt directly; anyone else goes through sudo. With no
# terminal, `sudo -n` fails fast instead of waiting for a password nobody can type.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif [[ -t 0 ]]; then
    sudo "$@"
  else
    sudo -n "$@"
  fi
}

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Any Debian PostgreSQL server major version will do (lib-postgres.sh picks the highest).
have_pg_server() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
    && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

have_pip() { python3 -m pip --version >/dev/null 2>&1; }

# zlib and zstd headers back the CCompression target (FBX arrays, compressed .blend files).
wanted=(libvips-dev pkg-config zlib1g-dev libzstd-dev)
case "$mode" in
  test) wanted+=(openssl) ;;
  bench) wanted+=(wrk curl) ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done
if [[ "$mode" != run ]] && ! have_pg_server; then
  # The `postgresql` metapackage pulls in the distribution's current server (15 on Debian 12).
  missing+=(postgresql)
fi
# pip is only needed when the Python tools are missing; checking for pip is
# slow (pyenv shims), so the cheap import check comes first.
case "$mode" in
  test)
    py_imports='import aiosmtpd, pyotp, moto.server, flask'
    # moto[server] is the S3-compatible server of the storage tests (Tests/tools/s3_server.py).
    py_packages=(aiosmtpd pyotp 'moto[server]')
    ;;
  bench)
    # aiohttp drives scripts/bench_checkout_load.py, websockets scripts/bench_realtime.py.
    py_imports='import aiohttp, websockets'
    py_packages=(aiohttp websockets)
    ;;
  *)
    py_imports=''
    py_packages=()
    ;;
esac
need_py_tools=false
if [[ -n "$py_imports" ]] && ! python3 -c "$py_imports" >/dev/null 2>&1; then
  need_py_tools=true
  have_pip || missing+=(python3-pip)
fi

if ((${#missing[@]} > 0)); then
  log "installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The lock timeout lets this wait for another apt run (e.g. a parallel install)
  # instead of failing at once on the dpkg lock.
  apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
  as_root apt-get "${apt_opts[@]}" update -qq </dev/null
  as_root apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

if [[ "$need_py_tools" == true ]]; then
  # The python3 on PATH may be a pyenv/venv interpreter rather than Debian's, in
  # which case python3-pip does not give it a pip: bootstrap one with ensurepip.
  if ! have_pip; then
    log "no pip for $(command -v python3); bootstrapping with ensurepip"
    python3 -m ensurepip --upgrade >/dev/null
  fi
  log "installing PyPI tools ($mode): ${py_packages[*]}"
  # pip ignores PIP_* variables it does not know, so these are safe on any pip version.
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
  # Debian's own python3 is marked externally managed (PEP 668); these are test and
  # benchmark tools, so installing beside the system packages is the intended trade-off.
  if python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))' 2>/dev/null \
    && [[ -z "${VIRTUAL_ENV:-}" ]]; then
    export PIP_BREAK_SYSTEM_PACKAGES=1
  fi
  python3 -m pip install --quiet "${py_packages[@]}" </dev/null
  python3 -c "$py_imports"
fi

log "ok ($mode)"
