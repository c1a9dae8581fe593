#!/bin/bash
# Cross-check of sys.linpack against HPL, as shipped in Debian's hpcc package
# (HPC Challenge 1.5.0 runs HPL 2.0 as its last component). hpcc and
# `virtbench run -w sys.linpack` solve a system of the same order N,
# alternately for ROUNDS rounds (hpcc, virtbench, hpcc, ...) after one
# discarded warm-up of virtbench (see below); the script prints the median
# GFLOPS of each and the ratio virtbench/HPL. Target: >= 0.9.
#
# usage: bench/xcheck-linpack.sh [ROUNDS] [N] [NB]   (default 3 5000 192)
# env:   BUILD (default build), THREADS (default 0: OpenBLAS's own count for
#        both; otherwise --set threads=THREADS and OPENBLAS_NUM_THREADS for hpcc)
# exit:  0 target met, 1 target missed or a run failed, 2 cannot run here
#
# Methodological notes:
# - Both use the same OpenBLAS (Debian's hpcc links libblas.so.3, which the
#   alternatives system points at openblas-pthread). HPL runs on a 1 x 1
#   process grid with block size NB, right-looking panel factorisation,
#   look-ahead depth 1 (Debian's example input otherwise); its parallelism
#   comes from OpenBLAS's threads inside dgemm/dtrsm. sys.linpack calls
#   LAPACKE_dgesv, i.e. OpenBLAS's own parallel LU.
# - HPL_Tflops counts (2/3 N^3 + 3/2 N^2) flops, sys.linpack (2/3 N^3 +
#   2 N^2): the difference is below 0.01% at N=5000.
# - Both time only the factorisation and solve, not the matrix generation,
#   and both check HPL's scaled residual against 16.
# - hpcc always runs its whole suite (RandomAccess, FFT, DGEMM, PTRANS, STREAM,
#   HPL) with sizes derived from N; about a minute per run at N=5000 on 2
#   cores. It is started directly as an MPI singleton (no mpirun), with
#   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 for root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
N=${2:-5000}
NB=${3:-192}
THREADS=${THREADS:-0}
BUILD=${BUILD:-build}

for tool in hpcc sqlite3 python3; do
	command -v "$tool" >/dev/null || { echo "xcheck-linpack: $tool is not installed" >&2; exit 2; }
done
[ -x "$BUILD/virtbench" ] || { echo "xcheck-linpack: build first: $BUILD/virtbench is missing" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VIRTBENCH_DB="$tmp/bench.db" VIRTBENCH_STATE_DIR="$tmp/state"
mkdir "$tmp/hpcc"
cat >"$tmp/hpcc/hpccinf.txt" <<EOF
HPLinpack benchmark input file
Innovative Computing Laboratory, University of Tennessee
HPL.out      output file name (if any)
8            device out (6=stdout,7=stderr,file)
1            # of problems sizes (N)
$N         Ns
1            # of NBs
$NB          NBs
0            PMAP process mapping (0=Row-,1=Column-major)
1            # of process grids (P x Q)
1            Ps
1            Qs
16.0         threshold
1            # of panel fact
2            PFACTs (0=left, 1=Crout, 2=Right)
1            # of recursive stopping criterium
4            NBMINs (>= 1)
1            # of panels in recursion
2            NDIVs
1            # of recursive panel fact.
1            RFACTs (0=left, 1=Crout, 2=Right)
1            # of broadcast
1            BCASTs (0=1rg,1=1rM,2=2rg,3=2rM,4=Lng,5=LnM)
1            # of lookahead depth
1            DEPTHs (>=0)
2            SWAP (0=bin-exch,1=long,2=mix)
64           swapping threshold
0            L1 in (0=transposed,1=no-transposed) form
0            U  in (0=transposed,1=no-transposed) form
1            Equilibration (0=no,1=yes)
8            memory alignment in double (> 0)
##### This line (no. 32) is ignored (it serves as a separator). ######
0                      		Number of additional problem sizes for PTRANS
1200 10000 30000        	values of N
0                       	number of additional blocking sizes for PTRANS
40 9 8 13 13 20 16 32 64       	values of NB
EOF

# One hpcc run; appends HPL's GFLOPS to $1.
run_hpcc() {
	rm -f "$tmp/hpcc/hpccoutf.txt"
	local env=(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
	[ "$THREADS" != 0 ] && env+=(OPENBLAS_NUM_THREADS="$THREADS")
	(cd "$tmp/hpcc" && env "${env[@]}" hpcc) >"$tmp/hpcc/stdout" 2>&1 || {
		echo "xcheck-linpack: hpcc failed:" >&2
		tail -5 "$tmp/hpcc/stdout" >&2
		exit 1
	}
	python3 - "$tmp/hpcc/hpccoutf.txt" "$N" >>"$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
kv = dict(l.split("=", 1) for l in text.splitlines() if "=" in l and " " not in l)
hpl = text.split("Begin of HPL section.")[-1].split("End of HPL section.")[0]
if "PASSED" not in hpl or "FAILED" in hpl:
    sys.exit("xcheck-linpack: HPL's residual check did not pass")
if int(kv.get("HPL_N", -1)) != int(sys.argv[2]):
    sys.exit(f"xcheck-linpack: HPL ran N={kv.get('HPL_N')}, expected {sys.argv[2]}")
print(float(kv["HPL_Tflops"]) * 1000)
PY
}

run_virtbench() {
	"$BUILD/virtbench" run -q -p host -w sys.linpack --runs 1 --min-runs 1 --warmup 0 \
		--ci-target 0 --set sys.linpack.n="$N" --set sys.linpack.threads="$THREADS" \
		"$@" >/dev/null || { echo "xcheck-linpack: virtbench run failed" >&2; exit 1; }
}

# One discarded warm-up of virtbench. hpcc gets none: its HPL runs last, after
# the rest of the suite has warmed OpenBLAS in the same process.
run_virtbench --db "$tmp/warm.db"
: >"$tmp/ref"
for i in $(seq "$ROUNDS"); do
	run_hpcc "$tmp/ref"
	run_virtbench
	[ -t 2 ] && printf '\rround %d/%d' "$i" "$ROUNDS" >&2
done
[ -t 2 ] && printf '\r\033[K' >&2

sqlite3 "$VIRTBENCH_DB" "SELECT v.value FROM sample_values v
	JOIN samples s ON s.id = v.sample_id JOIN workloads w ON w.id = s.workload_id
	WHERE w.name = 'sys.linpack' AND v.metric = 'gflops' AND s.ok = 1 AND s.warmup = 0
	ORDER BY s.id" >"$tmp/vb"
python3 - "$tmp/ref" "$tmp/vb" "$N" "$NB" "$THREADS" <<'PY'
import statistics, sys
ref = [float(x) for x in open(sys.argv[1]) if x.strip()]
vb = [float(x) for x in open(sys.argv[2]) if x.strip()]
n, nb, threads = sys.argv[3:]
if not ref or len(vb) != len(ref):
    sys.exit(f"xcheck-linpack: {len(ref)} hpcc rounds but {len(vb)} virtbench samples")
mr, mv = statistics.median(ref), statistics.median(vb)
print(f"sys.linpack vs HPL (hpcc): N={n}, HPL NB={nb}, 1x1 grid, OpenBLAS threads "
      f"{threads if threads != '0' else 'default'}, {len(ref)} interleaved rounds")
print(f"  HPL       median {mr:8.2f} GFLOPS  (min {min(ref):.2f}, max {max(ref):.2f})")
print(f"  virtbench median {mv:8.2f} GFLOPS  (min {min(vb):.2f}, max {max(vb):.2f})")
ratio = mv / mr
print(f"  ratio virtbench/HPL: {ratio:.3f}  (target >= 0.9) " + ("met" if ratio >= 0.9 else "MISSED"))
sys.exit(0 if ratio >= 0.9 else 1)
PY
