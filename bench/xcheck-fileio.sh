#!/bin/bash
# Cross-check of disk.fileio against fio: the same five phases (sequential
# write, sequential read, random write, random read, mixed random read/write)
# with the same block size, file size, operation count, O_DIRECT flag and
# fsync policy, on the same filesystem, interleaved: virtbench, fio,
# virtbench, fio, ... Prints per-phase medians in MiB/s and the ratio
# virtbench/fio (target >= 0.95, SPEC "file I/O >= 0.95x sysbench/fio").
#
# usage: bench/xcheck-fileio.sh [ROUNDS] [DIR]
#   ROUNDS  interleaved rounds (default 5)
#   DIR     where both tools put their files (default: a new directory under
#           ${TMPDIR:-/var/tmp}, removed at the end); pick the disk to test
# environment: FILE_SIZE (default 256M), BLOCK (4K), OPS (100000), DIRECT (0),
#   FSYNC (0), READ_PCT (70), BUILD (build), FIO (fio)
#
# How the two sides correspond:
#   virtbench run -w disk.fileio --set file_size,block,ops,direct,fsync,read_pct
#   fio --ioengine=psync (pread/pwrite, one I/O at a time, as disk.fileio's
#   loops) --size=FILE_SIZE --bs=BLOCK --io_size=OPS*BLOCK (wraps around the
#   file, as disk.fileio's sequential phases) --direct --fsync=FSYNC
#   --end_fsync=1 on the phases that write (disk.fileio's final fsync, inside
#   the clock in both) --rwmixread=READ_PCT, five jobs separated by
#   --stonewall, on one file laid out beforehand by a separate fio job.
#
# Methodological differences, and what was done about them:
# - Cache: fio invalidates the file's page cache before each job by default;
#   disk.fileio does not (its reads after the layout are cached unless
#   direct=1). fio runs with --invalidate=0 so both read from the same cache
#   state. With DIRECT=1 both bypass it.
# - Layout: disk.fileio lays its file out (untimed) in every sample; so does
#   this script for fio, in every round, then deletes the file.
# - Random offsets: disk.fileio draws block indexes with replacement from a
#   fixed-seed xorshift; fio runs with --norandommap (also with replacement)
#   and --randrepeat=1 (fixed seed). The sequences differ, their
#   distribution does not.
# - Mixed phase: both decide read-or-write per operation at random with
#   READ_PCT % reads; MiB/s counts the bytes of both directions.
# - Clock: disk.fileio times each phase with CLOCK_MONOTONIC (ns); fio
#   reports runtime in whole milliseconds, so phases shorter than ~100 ms
#   (cached reads of small totals) carry fio rounding error. The defaults
#   make each phase move ~390 MiB.
# - Per-operation cost: fio accounts latency for every I/O (clock reads and
#   histograms); disk.fileio reads the clock once per phase and checks a
#   24-byte stamp per block read. At page-cache speed (~1 us per 4 KiB
#   operation) those costs are visible on both sides.
# - Process: virtbench runs the workload in its agent (a child process);
#   its startup is outside the timed phases, as fio's is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
BUILD=${BUILD:-build}
FIO=${FIO:-fio}
FILE_SIZE=${FILE_SIZE:-256M}
BLOCK=${BLOCK:-4K}
OPS=${OPS:-100000}
DIRECT=${DIRECT:-0}
FSYNC=${FSYNC:-0}
READ_PCT=${READ_PCT:-70}
VB_ONLY=${VB_ONLY:-0}	# 1: skip fio (debugging the virtbench half)
FIO_ONLY=${FIO_ONLY:-0} # 1: skip virtbench (before disk.fileio is registered)

to_bytes() {
	local v=${1^^} m=1
	case $v in
	*K | *KIB) m=1024 ;;
	*M | *MIB) m=$((1024 * 1024)) ;;
	*G | *GIB) m=$((1024 * 1024 * 1024)) ;;
	esac
	v=${v%IB}
	v=${v%[KMG]}
	[[ $v =~ ^[0-9]+$ ]] || {
		echo "not a size: $1" >&2
		exit 2
	}
	echo $((v * m))
}
FILE_BYTES=$(to_bytes "$FILE_SIZE")
BLOCK_BYTES=$(to_bytes "$BLOCK")
IO_BYTES=$((OPS * BLOCK_BYTES))
[ "$BLOCK_BYTES" -le "$FILE_BYTES" ] || {
	echo "BLOCK must not exceed FILE_SIZE" >&2
	exit 2
}

if [ "$FIO_ONLY" != 1 ]; then
	[ -x "$BUILD/virtbench" ] || {
		echo "build first: make build" >&2
		exit 2
	}
fi
if [ "$VB_ONLY" != 1 ]; then
	command -v "$FIO" >/dev/null || {
		echo "fio is not installed (apt-get install fio)" >&2
		exit 2
	}
fi
command -v sqlite3 >/dev/null || {
	echo "needs the sqlite3 CLI" >&2
	exit 2
}

if [ $# -ge 2 ]; then
	mkdir -p "$2"
	work=$(mktemp -d "$2/xcheck-fileio.XXXXXX")
else
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/xcheck-fileio.XXXXXX")
fi
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/fio" "$work/state"
export VIRTBENCH_DB="$work/virtbench.db" VIRTBENCH_STATE_DIR="$work/state"
: >"$work/fio.tsv"

run_virtbench() {
	"$BUILD/virtbench" run -q -p host -w disk.fileio --runs 1 --min-runs 1 --warmup 0 \
		--ci-target 0 --set file_size="$FILE_BYTES" --set block="$BLOCK_BYTES" \
		--set ops="$OPS" --set direct="$DIRECT" --set fsync="$FSYNC" \
		--set read_pct="$READ_PCT" >/dev/null
}

# One round of fio: lay the file out, run the five phases, append one line of MiB/s.
run_fio() {
	local f="$work/fio/xcheck.dat"
	"$FIO" --name=layout --filename="$f" --ioengine=psync --rw=write --bs=1M \
		--size="$FILE_BYTES" --end_fsync=1 --output=/dev/null
	"$FIO" --output-format=json --filename="$f" --ioengine=psync --bs="$BLOCK_BYTES" \
		--size="$FILE_BYTES" --io_size="$IO_BYTES" --direct="$DIRECT" --fsync="$FSYNC" \
		--invalidate=0 --norandommap --randrepeat=1 --gtod_reduce=1 \
		--name=seq_write --rw=write --end_fsync=1 \
		--name=seq_read --stonewall --rw=read \
		--name=rand_write --stonewall --rw=randwrite --end_fsync=1 \
		--name=rand_read --stonewall --rw=randread \
		--name=mixed --stonewall --rw=randrw --rwmixread="$READ_PCT" --end_fsync=1 \
		>"$work/fio.json"
	rm -f "$f"
	python3 - "$work/fio.json" "$IO_BYTES" >>"$work/fio.tsv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
out = []
for name in ("seq_write", "seq_read", "rand_write", "rand_read", "mixed"):
    j = next(j for j in d["jobs"] if j["jobname"] == name)
    if j.get("error"):
        sys.exit(f"fio job {name} failed: error {j['error']}")
    moved = j["read"]["io_bytes"] + j["write"]["io_bytes"]
    if moved != want:
        sys.exit(f"fio job {name} moved {moved} bytes, expected {want}")
    ms = max(j["read"]["runtime"], j["write"]["runtime"])
    out.append(f"{moved / 2**20 / (ms / 1000):.3f}" if ms > 0 else "nan")
print("\t".join(out))
PY
}

for i in $(seq "$ROUNDS"); do
	[ "$FIO_ONLY" = 1 ] || run_virtbench
	[ "$VB_ONLY" = 1 ] || run_fio
	[ -t 2 ] && printf '\rround %d/%d' "$i" "$ROUNDS" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2

if [ "$FIO_ONLY" != 1 ]; then
	sqlite3 -separator $'\t' "$VIRTBENCH_DB" "SELECT v.metric, v.value FROM sample_values v
		JOIN samples s ON s.id = v.sample_id WHERE s.ok = 1 AND s.warmup = 0
		ORDER BY s.id" >"$work/virtbench.tsv"
	nfail=$(sqlite3 "$VIRTBENCH_DB" "SELECT count(*) FROM samples WHERE ok = 0")
	[ "$nfail" = 0 ] || echo "warning: $nfail virtbench samples failed:" \
		"$(sqlite3 "$VIRTBENCH_DB" "SELECT error FROM samples WHERE ok = 0 LIMIT 1")" >&2
else
	: >"$work/virtbench.tsv"
fi

python3 - "$work/virtbench.tsv" "$work/fio.tsv" <<PY
import math, statistics, sys
phases = ["seq_write", "seq_read", "rand_write", "rand_read", "mixed"]
vb = {p: [] for p in phases}
for line in open(sys.argv[1]):
    m, v = line.rstrip("\n").split("\t")
    if m in vb:
        vb[m].append(float(v))
fio = {p: [] for p in phases}
for line in open(sys.argv[2]):
    for p, v in zip(phases, line.split()):
        if v != "nan":
            fio[p].append(float(v))
print(f"disk.fileio vs fio: file_size=$FILE_BYTES block=$BLOCK_BYTES ops=$OPS direct=$DIRECT "
      f"fsync=$FSYNC read_pct=$READ_PCT, $ROUNDS interleaved rounds, in $work")
print(f"  {'phase':<11} {'virtbench MiB/s':>16} {'fio MiB/s':>12} {'ratio':>7}  (target >= 0.95)")
worst = math.inf
for p in phases:
    mv = statistics.median(vb[p]) if vb[p] else math.nan
    mf = statistics.median(fio[p]) if fio[p] else math.nan
    ratio = mv / mf if vb[p] and fio[p] else math.nan
    if not math.isnan(ratio):
        worst = min(worst, ratio)
    flag = "" if math.isnan(ratio) or ratio >= 0.95 else "  below target"
    print(f"  {p:<11} {mv:16.1f} {mf:12.1f} {ratio:7.3f}{flag}")
if worst is not math.inf:
    print(f"  lowest ratio {worst:.3f}: {'meets' if worst >= 0.95 else 'misses'} the 0.95 target")
PY
