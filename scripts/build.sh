#!/usr/bin/env bash
# `swift build` for people at a console (make run, make build): the compiler's progress, warnings about our own
# code and every error stay; the lines SwiftPM and the OpenAPI generator print on every build about things nobody
# here can act on (package manifests' flags and stray files, the generator's configuration dump) do not.
#
#   scripts/build.sh [swift build arguments...]
set -euo pipefail

noise='^(warning: prohibited flag\(s\)|warning: .*found [0-9]+ file\(s\) which are unhandled|    /.*/\.build/checkouts/|Swift OpenAPI Generator is running|- [A-Z][A-Za-z ]+: |File [^ ]+ already up to date\.)'
# The generator ends its dump without a newline, so its last line runs into the next; split it back apart.
set +e
swift build "$@" 2>&1 | sed -u 's/\(Additional file comments: [^F]*\)File /\1\nFile /' | grep -Ev --line-buffered "$noise"
statuses=("${PIPESTATUS[@]}")
exit "${statuses[0]}"
