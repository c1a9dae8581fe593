#!/bin/bash
# Noisy neighbour and what entitlement wins back (issue #7's acceptance):
# two container guests share every core; a single-threaded cpu.primes
# victim runs alone, beside a stress.cpu aggressor (its quick profile: two workers), and
# beside it under disjoint cpuset pinning (plus CPU shares and quota), all
# interleaved in one run. Prints each condition's slowdown against "alone"
# with its 95% interval and verdict, and the aggressor's work rate.
# Expected: noisy = slower; noisy+pin = equivalent or inconclusive (within noise).
# usage: bench/isolation.sh [ROUNDS] [LIMIT] [PLATFORM]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-10}
LIMIT=${2:-2000000}
PLATFORM=${3:-container}
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "isolation: needs root" >&2; exit 2; }
tmp=$(mktemp -d /var/tmp/vb-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export VIRTBENCH_STATE_DIR="$tmp/state" VIRTBENCH_DB="$tmp/db"
"$BUILD/virtbench" isolation -q -p "$PLATFORM" -w cpu.primes --set limit="$LIMIT" \
	--policy pin,shares,quota --rounds "$ROUNDS" --warmup 1 >/dev/null 2>"$tmp/err" ||
	{ cat "$tmp/err" >&2; exit 1; }
echo "victim cpu.primes limit=$LIMIT threads=1 on $PLATFORM, $ROUNDS rounds, $(nproc) CPUs"
sqlite3 -separator '|' "$VIRTBENCH_DB" "SELECT p.name, x.n, x.mean, x.ratio, x.ratio_low, x.ratio_high, x.verdict
	FROM summaries x JOIN platforms p ON p.id = x.platform_id JOIN workloads w ON w.id = x.workload_id
	WHERE w.name = 'cpu.primes' AND x.metric = 'elapsed' ORDER BY p.ord" |
	while IFS='|' read -r cond n mean ratio lo hi verdict; do
		if [ -z "$ratio" ]; then
			printf '  %-26s n=%-3s %.4f s  (reference)\n' "$cond" "$n" "$mean"
		else
			awk -v c="$cond" -v n="$n" -v m="$mean" -v r="$ratio" -v l="$lo" -v h="$hi" -v v="$verdict" \
				'BEGIN { printf "  %-26s n=%-3s %.4f s  slowdown %+.1f%% [%+.1f%%, %+.1f%%]  %s\n", c, n, m, 100*(r-1), 100*(l-1), 100*(h-1), v }'
		fi
	done
echo "aggressor (stress.cpu) work rate per condition:"
sqlite3 -separator ' ' "$VIRTBENCH_DB" "SELECT p.name, x.mean FROM summaries x JOIN platforms p ON p.id = x.platform_id
	JOIN workloads w ON w.id = x.workload_id WHERE w.name = 'stress.cpu' AND x.metric = 'rate' ORDER BY p.ord" |
	while read -r cond rate; do printf '  %-26s %.3g ops/s\n' "$cond" "$rate"; done
