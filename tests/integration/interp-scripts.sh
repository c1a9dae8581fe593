#!/bin/bash
# The interpreter micro-benchmarks of src/workload/apps, pybench.py and
# phpbench.php: a small run prints one line per listed test and a total that
# adds up, bad arguments exit 2, and a deliberately wrong result
# (VB_BENCH_BREAK) fails the self-check.
. "$(dirname "$0")/lib.bash"
APPS="$ROOT/src/workload/apps"
PY=/usr/bin/python3
per_suite=6
plan $((2 * per_suite))

# well_formed OUT LIST: OUT is `test NAME SECONDS` for each name of LIST, each
# once and in LIST's order, then `total SECONDS`, and nothing else.
well_formed() {
	[ -s "$2" ] && [ -s "$1" ] || return 1
	! grep -qvE '^(test [a-z_]+|total) [0-9]+\.[0-9]{6}$' "$1" || return 1
	[ "$(grep -c '^total ' "$1")" = 1 ] && tail -n 1 "$1" | grep -q '^total ' || return 1
	diff <(sed -n 's/^test \([^ ]*\) .*/\1/p' "$1") "$2" >/dev/null
}
# adds_up OUT: the total is the sum of the test lines, within their rounding.
adds_up() {
	awk '$1 == "test" { s += $3; n++ } $1 == "total" { t = $2 }
		END { d = s - t; if (d < 0) d = -d; exit !(n > 0 && d <= 1e-6 * n) }' "$1"
}
# all_refused CMD...: each bad argument exits 2, with a message on stderr and
# nothing on stdout.
all_refused() {
	local bad rc
	local -a args
	for bad in "--iterations 0" "--iterations -5" "--iterations 12x" "--iterations 1000000000" \
		"--rounds 0" "--rounds abc" "--only nosuch" "--only ," "--only" "--frobnicate" "extra"; do
		read -r -a args <<<"$bad"
		"$@" "${args[@]}" >"$TMP/refused.out" 2>"$TMP/refused.err"
		rc=$?
		if [ $rc != 2 ] || [ ! -s "$TMP/refused.err" ] || [ -s "$TMP/refused.out" ]; then
			diag "'$bad' gave exit $rc"
			return 1
		fi
	done
}

# suite NAME BREAK CMD...: the checks for one script, run by CMD; BREAK is
# the test that VB_BENCH_BREAK corrupts.
suite() {
	local name=$1 brk=$2 rc first two
	shift 2
	local out="$TMP/$name.out" err="$TMP/$name.err" list="$TMP/$name.list"
	"$@" --list >"$list"
	"$@" --iterations 300 --rounds 2 >"$out" 2>"$err"
	rc=$?
	check "$name: a small run exits 0, quiet on stderr" test "$rc" = 0 -a ! -s "$err"
	check "$name: every listed test printed once, in order, then the total" well_formed "$out" "$list"
	check "$name: the total is the sum of the test lines" adds_up "$out"
	first=$(sed -n 1p "$list")
	two="$first,$brk"
	"$@" --iterations 100 --rounds 1 --only "$two" >"$out.only" 2>/dev/null
	printf '%s\n' "$first" "$brk" >"$list.only"
	check "$name: --only $two runs those two" well_formed "$out.only" "$list.only"
	check "$name: bad arguments exit 2" all_refused "$@"
	VB_BENCH_BREAK=$brk "$@" --iterations 300 --rounds 1 >"$out.brk" 2>"$err.brk"
	rc=$?
	check "$name: VB_BENCH_BREAK=$brk fails its self-check (exit 1, error $brk)" \
		bash -c "[ $rc = 1 ] && grep -q '^error $brk: expected .*, got ' '$err.brk' && [ ! -s '$out.brk' ]"
}

if [ -x "$PY" ]; then
	suite pybench dicts "$PY" "$APPS/pybench.py"
else
	for i in $(seq $per_suite); do skip "pybench $i" "no $PY"; done
fi
if command -v php >/dev/null; then
	suite phpbench hashes php "$APPS/phpbench.php"
else
	for i in $(seq $per_suite); do skip "phpbench $i" "php is not installed (apt-get install php8.2-cli)"; done
fi
