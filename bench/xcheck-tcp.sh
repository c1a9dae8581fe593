#!/bin/bash
# net.tcp vs iperf3 on loopback, interleaved: one TCP stream, 128 KiB writes
# (iperf3's default), the same duration. iperf3's figure is its receiver-side
# rate; net.tcp's clock stops when the peer confirms it received everything,
# so both count bytes delivered, not bytes buffered. Target: ratio >= 0.9.
# usage: bench/xcheck-tcp.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SECS=${2:-3}
BUILD=${BUILD:-build}
command -v iperf3 >/dev/null || { echo "xcheck-tcp: iperf3 is not installed (apt-get install iperf3)" >&2; exit 2; }
[ -x "$BUILD/virtbench" ] || { echo "build first: make build" >&2; exit 2; }
tmp=$(mktemp -d)
export VIRTBENCH_DB="$tmp/bench.db" VIRTBENCH_STATE_DIR="$tmp/state"
port=$((20000 + RANDOM % 20000))
iperf3 -s -p "$port" >/dev/null 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 0.5
: >"$tmp/iperf"
for i in $(seq "$ROUNDS"); do
	iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" -l 128K -J |
		jq '.end.sum_received.bits_per_second / 1e6' >>"$tmp/iperf"
	"$BUILD/virtbench" run -q -p host -w net.tcp --runs 1 --min-runs 1 --warmup 0 --ci-target 0 \
		--set duration_ms=$((SECS * 1000)) --set buffer=128K >/dev/null
	[ -t 2 ] && printf '\rround %d/%d' "$i" "$ROUNDS" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2
sqlite3 "$VIRTBENCH_DB" "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	WHERE v.metric = 'throughput' AND s.ok = 1 ORDER BY s.id" >"$tmp/vb"
python3 - "$tmp/iperf" "$tmp/vb" "$SECS" <<'PY'
import statistics, sys
ref = [float(x) for x in open(sys.argv[1])]
vb = [float(x) for x in open(sys.argv[2])]
mr, mv = statistics.median(ref), statistics.median(vb)
print(f"TCP loopback, one stream, {sys.argv[3]} s, {len(ref)} interleaved rounds")
print(f"  iperf3 (receiver):  median {mr:9.0f} Mbit/s  (min {min(ref):.0f}, max {max(ref):.0f})")
print(f"  virtbench net.tcp:  median {mv:9.0f} Mbit/s  (min {min(vb):.0f}, max {max(vb):.0f})")
print(f"  ratio virtbench/iperf3: {mv / mr:.3f}  (target >= 0.9)")
PY
