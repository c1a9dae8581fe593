#!/bin/bash
# CPU overhead of a virtbench container against the host: cpu.primes
# (one thread, a few hundred ms per sample) through `virtbench run -p
# host,container`, interleaved host/container, ROUNDS measured samples
# each, and the ratio of means with its bootstrap 95% interval as stored.
# Target: ratio <= 1.005 (0.5% overhead).
# usage: bench/container-cpu-overhead.sh [ROUNDS] [LIMIT]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
LIMIT=${2:-3000000}
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "container-cpu-overhead: needs root" >&2; exit 2; }
tmp=$(mktemp -d /var/tmp/vb-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export VIRTBENCH_CACHE_DIR="$tmp/cache" VIRTBENCH_STATE_DIR="$tmp/state" VIRTBENCH_DB="$tmp/db"
"$BUILD/virtbench" run -q -p host,container -w cpu.primes --set threads=1 --set limit="$LIMIT" \
	--runs "$ROUNDS" --min-runs "$ROUNDS" --ci-target 0 --warmup 2 >/dev/null
sqlite3 -separator ' ' "$VIRTBENCH_DB" "SELECT x.n, x.mean, x.ratio, x.ratio_low, x.ratio_high, x.verdict
	FROM summaries x JOIN platforms p ON p.id = x.platform_id
	WHERE p.name = 'container' AND x.metric = 'elapsed'" | {
	read -r n mean ratio lo hi verdict
	host=$(sqlite3 "$VIRTBENCH_DB" "SELECT x.mean FROM summaries x JOIN platforms p ON p.id = x.platform_id WHERE p.name = 'host' AND x.metric = 'elapsed'")
	printf 'cpu.primes limit=%s threads=1, %s interleaved samples per platform\n' "$LIMIT" "$n"
	printf '  host:      mean %.4f s\n  container: mean %.4f s\n' "$host" "$mean"
	printf '  ratio container/host: %.4f [%.4f, %.4f] (%s)  (target <= 1.005)\n' "$ratio" "$lo" "$hi" "$verdict"
}
