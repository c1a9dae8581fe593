# Shared helpers for integration tests: TAP output, a private database and
# state directory per test file, and the binaries under test.
# shellcheck shell=bash
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
VB="$BUILD/virtbench"
AGENT="$BUILD/virtbench-agent"
TMP=$(mktemp -d /tmp/vb-itest.XXXXXX)
export VIRTBENCH_DB="$TMP/results.db"
export VIRTBENCH_STATE_DIR="$TMP/state"
unset VIRTBENCH_AGENT
_n=0
_failed=0
trap 'rm -rf "$TMP"' EXIT

plan() { echo "1..$1"; }
ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); _failed=1; echo "not ok $_n - $1"; }
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# check NAME CMD...: one result from a command's success.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
sql() { sqlite3 -batch -noheader "$VIRTBENCH_DB" "$@"; }
# A quick run that still takes a few seconds; extra args are appended.
quick_args=(-q --runs 3 --min-runs 2 --warmup 1 --set limit=100000 --set size=4M)
