#!/bin/bash
# CPU overhead of a virtbench container against the host: cpu.primes
# (one thread, a few hundred ms per sample) through `virtbench run -p
# host,container`, interleaved host/container, ROUNDS measured samples
# each, and the ratio of geometric means with its 95% Welch interval as
# stored. With INSTANCES > 1 the rounds are split over that many fresh
# guests per platform and the interval is across instances.
# Target: ratio <= 1.005 (0.5% overhead).
# usage: bench/container-cpu-overhead.sh [ROUNDS] [LIMIT] [INSTANCES]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
LIMIT=${2:-3000000}
INSTANCES=${3:-1}
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "container-cpu-overhead: needs root" >&2; exit 2; }
tmp=$(mktemp -d /var/tmp/vb-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export VIRTBENCH_CACHE_DIR="$tmp/cache" VIRTBENCH_STATE_DIR="$tmp/state" VIRTBENCH_DB="$tmp/db"
"$BUILD/virtbench" run -q -p host,container -w cpu.primes --set threads=1 --set limit="$LIMIT" \
	--runs "$ROUNDS" --min-runs "$ROUNDS" --ci-target 0 --warmup 2 --instances "$INSTANCES" >/dev/null
sqlite3 -separator ' ' "$VIRTBENCH_DB" "SELECT x.n, x.mean, x.ratio, x.ratio_low, x.ratio_high, x.verdict, x.instances
	FROM summaries x JOIN platforms p ON p.id = x.platform_id
	WHERE p.name = 'container' AND x.metric = 'elapsed'" | {
	read -r n mean ratio lo hi verdict inst
	host=$(sqlite3 "$VIRTBENCH_DB" "SELECT x.mean FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'host' AND x.metric = 'elapsed'")
	printf 'cpu.primes limit=%s threads=1, %s interleaved samples per platform over %s instance(s)\n' "$LIMIT" "$n" "$inst"
	printf '  host:      mean %.4f s\n  container: mean %.4f s\n' "$host" "$mean"
	half=$(awk -v r="$ratio" -v l="$lo" -v h="$hi" 'BEGIN { u = h / r - 1; d = 1 - l / r; printf "%.2f", 100 * (u > d ? u : d) }')
	printf '  ratio container/host: %.4f [%.4f, %.4f] ±%s%% (%s)  (target <= 1.005)\n' "$ratio" "$lo" "$hi" "$half" "$verdict"
}
