#!/bin/bash
# Harness overhead: cpu.primes measured through `virtbench run -p host` (a
# spawned agent, the protocol, the supervisor) against the same code called
# directly in a plain process. Interleaved: direct, virtbench, direct, ...
# Prints the medians and their ratio (1.000 = no overhead; target ≤ 1.005).
# usage: bench/harness-overhead.sh [ROUNDS] [LIMIT] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-15}
LIMIT=${2:-2000000}
THREADS=${3:-1}
BUILD=${BUILD:-build}
[ -x "$BUILD/virtbench" ] && [ -x "$BUILD/bench/primes-direct" ] || { echo "build first: make build" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VIRTBENCH_DB="$tmp/bench.db" VIRTBENCH_STATE_DIR="$tmp/state"

# One warm-up of each, discarded.
"$BUILD/bench/primes-direct" "$LIMIT" "$THREADS" 1 >/dev/null
"$BUILD/virtbench" run -q -p host -w cpu.primes --runs 1 --min-runs 1 --warmup 0 --ci-target 0 \
	--set limit="$LIMIT" --set threads="$THREADS" --db "$tmp/warm.db" >/dev/null
: >"$tmp/direct"
for i in $(seq "$ROUNDS"); do
	"$BUILD/bench/primes-direct" "$LIMIT" "$THREADS" 1 >>"$tmp/direct"
	"$BUILD/virtbench" run -q -p host -w cpu.primes --runs 1 --min-runs 1 --warmup 0 \
		--ci-target 0 --set limit="$LIMIT" --set threads="$THREADS" >/dev/null
	[ -t 2 ] && printf '\rround %d/%d' "$i" "$ROUNDS" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2
sqlite3 "$VIRTBENCH_DB" "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
	WHERE v.metric = 'elapsed' AND s.ok = 1 ORDER BY s.id" >"$tmp/virtbench"
python3 - "$tmp/direct" "$tmp/virtbench" "$LIMIT" "$THREADS" <<'PY'
import statistics, sys
d = [float(x) for x in open(sys.argv[1])]
v = [float(x) for x in open(sys.argv[2])]
md, mv = statistics.median(d), statistics.median(v)
print(f"cpu.primes limit={sys.argv[3]} threads={sys.argv[4]}, {len(d)} interleaved rounds")
print(f"  direct call (plain process): median {md:.4f} s  (min {min(d):.4f}, max {max(d):.4f})")
print(f"  virtbench run -p host:       median {mv:.4f} s  (min {min(v):.4f}, max {max(v):.4f})")
print(f"  ratio virtbench/direct: {mv / md:.4f}  (target <= 1.005)")
PY
