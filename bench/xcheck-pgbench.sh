#!/bin/bash
# app.pgbench vs pgbench by hand on the host, interleaved: each round a fresh
# cluster (initdb as postgres, the same server options), `pgbench -i -s
# SCALE`, then `pgbench -c C -j J -T SECONDS` over TCP, by hand, then the same
# through `virtbench run -p host -w app.pgbench` with the same arguments.
# Both report pgbench's own "tps (without initial connection time)", so the
# ratio shows what virtbench's way of running the server costs or distorts.
# Target: ratio >= 0.95.
# usage: bench/xcheck-pgbench.sh [ROUNDS] [SECONDS] [SCALE]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SECS=${2:-10}
SCALE=${3:-8}
C=4 J=2
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 2; }
# The hand-run server trusts loopback: in a network namespace of its own,
# no other user of the host can reach it (virtbench does the same).
if [ -z "${VB_BENCH_NETNS:-}" ]; then
	exec unshare --net env VB_BENCH_NETNS=1 "$PWD/bench/$(basename "$0")" "$@"
fi
ip link set lo up
[ "$(id -u)" = 0 ] || { echo "xcheck-pgbench: needs root" >&2; exit 2; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/postgres" ] || { echo "xcheck-pgbench: PostgreSQL is not installed (apt-get install postgresql-15)" >&2; exit 2; }
tmp=$(mktemp -d /var/tmp/vb-bench.XXXXXX)
chmod 755 "$tmp"
export VIRTBENCH_DB="$tmp/bench.db" VIRTBENCH_STATE_DIR="$tmp/state"
data="$tmp/pg"
stop_pg() { [ -d "$data/data" ] && setpriv --reuid=postgres --regid=postgres --clear-groups \
	"$bin/pg_ctl" -D "$data/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$data"; }
trap 'stop_pg; rm -rf "$tmp"' EXIT
: >"$tmp/hand"
for i in $(seq "$ROUNDS"); do
	port=$((20000 + RANDOM % 20000))
	mkdir -p "$data" && chown postgres: "$data"
	pg() { setpriv --reuid=postgres --regid=postgres --clear-groups "$@"; }
	pg "$bin/initdb" -D "$data/data" -E UTF8 --locale=C.UTF-8 --auth=trust -U postgres --no-sync >/dev/null
	pg "$bin/pg_ctl" -D "$data/data" -w -l "$data/log" \
		-o "-p $port -c listen_addresses=127.0.0.1 -k $data" start >/dev/null
	"$bin/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$port" -U postgres postgres >/dev/null 2>&1
	"$bin/pgbench" -c $C -j $J -T "$SECS" -h 127.0.0.1 -p "$port" -U postgres postgres 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' >>"$tmp/hand"
	stop_pg
	"$BUILD/virtbench" run -q -p host -w app.pgbench --runs 1 --min-runs 1 --warmup 0 --ci-target 0 \
		--set scale="$SCALE" --set clients=$C --set threads=$J --set transactions=0 \
		--set duration_s="$SECS" >/dev/null
	[ -t 2 ] && printf '\rround %d/%d' "$i" "$ROUNDS" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2
sqlite3 "$VIRTBENCH_DB" "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	WHERE v.metric = 'tps' AND s.ok = 1 ORDER BY s.id" >"$tmp/vb"
python3 - "$tmp/hand" "$tmp/vb" "$SECS" "$SCALE" <<'PY'
import statistics, sys
ref = [float(x) for x in open(sys.argv[1]) if x.strip()]
vb = [float(x) for x in open(sys.argv[2]) if x.strip()]
if not ref or not vb:
    sys.exit("xcheck-pgbench: a side produced no figure")
mr, mv = statistics.median(ref), statistics.median(vb)
print(f"pgbench -s {sys.argv[4]} -c 4 -j 2 -T {sys.argv[3]}, {len(ref)} interleaved rounds, fresh cluster each")
print(f"  by hand:               median {mr:8.1f} tps  (min {min(ref):.1f}, max {max(ref):.1f})")
print(f"  virtbench app.pgbench: median {mv:8.1f} tps  (min {min(vb):.1f}, max {max(vb):.1f})")
print(f"  ratio virtbench/by hand: {mv / mr:.3f}  (target >= 0.95)")
PY
