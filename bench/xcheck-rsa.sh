#!/bin/bash
# Cross-check of cpu.rsa against the openssl command line: RSA private keys
# per second, same key count and size, interleaved (virtbench, openssl,
# virtbench, ...). Prints the medians and the ratio virtbench/openssl with
# its target (>= 0.95).
#
# Method, and how the two sides differ:
# - virtbench: `virtbench run -p host -w cpu.rsa --set keys=K --set bits=B
#   --set threads=1`, one sample a round; its `rate` metric (keys / time of
#   the generation loop, read from the results database) covers key
#   generation only, in one process, with OpenSSL already loaded.
# - openssl: a shell loop of K `openssl genpkey -algorithm RSA -pkeyopt
#   rsa_keygen_bits:B -out /dev/null`, timed as a whole; rate = K / wall time.
#   The CLI has no way to make K keys in one invocation (`openssl speed rsa`
#   times sign/verify, not key generation), so each key also pays a process
#   start, the loading of libcrypto and its provider, and PEM encoding. That
#   floor is measured separately (K runs of `openssl rand -out /dev/null 1`)
#   and a second ratio with it subtracted is printed too; the target applies
#   to the plain ratio, the corrected one says how much of it is start-up.
# - Both use the same libcrypto, e = 65537 and two primes. RSA key generation
#   time varies a lot from key to key (the prime search is random), so use
#   enough keys per round (default 20) and rounds (default 5).
#
# usage: bench/xcheck-rsa.sh [ROUNDS] [KEYS] [BITS]
# XCHECK_REFERENCE_ONLY=1 runs only the openssl half (to try it before
# cpu.rsa is registered).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
KEYS=${2:-20}
BITS=${3:-2048}
BUILD=${BUILD:-build}
REF_ONLY=${XCHECK_REFERENCE_ONLY:-0}
command -v openssl >/dev/null || { echo "openssl is not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is not installed" >&2; exit 2; }
if [ "$REF_ONLY" != 1 ]; then
	command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed" >&2; exit 2; }
	[ -x "$BUILD/virtbench" ] || { echo "build first: make build" >&2; exit 2; }
	"$BUILD/virtbench" list workloads | grep -q '^cpu\.rsa ' ||
		{ echo "$BUILD/virtbench has no cpu.rsa workload" >&2; exit 2; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VIRTBENCH_DB="$tmp/bench.db" VIRTBENCH_STATE_DIR="$tmp/state"

vb_round() {
	"$BUILD/virtbench" run -q -p host -w cpu.rsa --runs 1 --min-runs 1 --warmup 0 \
		--ci-target 0 --set keys="$KEYS" --set bits="$BITS" --set threads=1 "$@" >/dev/null
}

# Prints the wall seconds of K openssl key generations in a row.
ref_round() {
	local t0 t1
	t0=$EPOCHREALTIME
	for ((k = 0; k < KEYS; k++)); do
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$BITS" -out /dev/null 2>/dev/null
	done
	t1=$EPOCHREALTIME
	echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
}

# Prints the wall seconds of K openssl start-ups doing (almost) nothing.
floor_round() {
	local t0 t1
	t0=$EPOCHREALTIME
	for ((k = 0; k < KEYS; k++)); do
		openssl rand -out /dev/null 1
	done
	t1=$EPOCHREALTIME
	echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
}

# One warm-up of each, discarded.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$BITS" -out /dev/null 2>/dev/null
[ "$REF_ONLY" = 1 ] || vb_round --db "$tmp/warm.db"
: >"$tmp/openssl"
: >"$tmp/floor"
for i in $(seq "$ROUNDS"); do
	[ "$REF_ONLY" = 1 ] || vb_round
	ref_round >>"$tmp/openssl"
	floor_round >>"$tmp/floor"
	[ -t 2 ] && printf '\rround %d/%d' "$i" "$ROUNDS" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2
if [ "$REF_ONLY" = 1 ]; then
	: >"$tmp/virtbench"
else
	sqlite3 "$VIRTBENCH_DB" "SELECT v.value FROM sample_values v JOIN samples s ON s.id = v.sample_id
		WHERE v.metric = 'rate' AND s.ok = 1 AND s.warmup = 0 ORDER BY s.id" >"$tmp/virtbench"
	[ "$(wc -l <"$tmp/virtbench")" -eq "$ROUNDS" ] ||
		{ echo "virtbench gave $(wc -l <"$tmp/virtbench") good samples of $ROUNDS" >&2; exit 1; }
fi
python3 - "$tmp/virtbench" "$tmp/openssl" "$tmp/floor" "$KEYS" "$BITS" <<'PY'
import statistics, sys
v = [float(x) for x in open(sys.argv[1])]
walls = [float(x) for x in open(sys.argv[2])]
floors = [float(x) for x in open(sys.argv[3])]
keys, bits = int(sys.argv[4]), sys.argv[5]
ref = [keys / w for w in walls]
cor = [keys / (w - f) for w, f in zip(walls, floors)]
mr, mc = statistics.median(ref), statistics.median(cor)
mf = statistics.median(floors) / keys * 1000
print(f"cpu.rsa {keys} x RSA-{bits} keys per round, {len(walls)} interleaved rounds")
if v:
    mv = statistics.median(v)
    print(f"  virtbench cpu.rsa:        median {mv:.3f} keys/s  (min {min(v):.3f}, max {max(v):.3f})")
print(f"  openssl genpkey loop:     median {mr:.3f} keys/s  (min {min(ref):.3f}, max {max(ref):.3f})")
print(f"  openssl start-up floor:   median {mf:.2f} ms a process")
print(f"  openssl minus start-up:   median {mc:.3f} keys/s")
if v:
    print(f"  ratio virtbench/openssl: {mv / mr:.3f}  (target >= 0.95)")
    print(f"  ratio virtbench/(openssl minus start-up): {mv / mc:.3f}")
PY
