#!/bin/bash
# --set NAME=V1,V2 runs one instance per value, each stored under its label
# with its own params; bad sweeps are refused before anything runs.
. "$(dirname "$0")/lib.bash"
plan 5
"$VB" run "${quick_args[@]}" -w cpu.primes,mem.memcpy --set threads=1,2 --set size=1M,4M >"$TMP/out" 2>"$TMP/err"
check "sweep run exits 0" test $? = 0
names=$(sql "SELECT group_concat(name, ' ') FROM (SELECT name FROM workloads ORDER BY ord)")
check "instances in order, labelled ($names)" \
	test "$names" = "cpu.primes[threads=1] cpu.primes[threads=2] mem.memcpy[size=1MiB] mem.memcpy[size=4MiB]"
check "each instance ran with its own value" \
	test "$(sql "SELECT group_concat(json_extract(params, '\$.threads') || '/' || json_extract(params, '\$.limit'), ' ') FROM workloads WHERE name LIKE 'cpu.primes%'")" = "1/100000 2/100000"
"$VB" run "${quick_args[@]}" --set size=4M,4M >/dev/null 2>"$TMP/err"
check "a sweep naming a value twice is refused" bash -c "[ $? = 2 ] && grep -q 'would run twice' '$TMP/err'"
"$VB" run "${quick_args[@]}" --set size=4M,1P >/dev/null 2>"$TMP/err"
check "a sweep with an out-of-range value is refused" bash -c "[ $? = 2 ] && grep -q 'out of range' '$TMP/err' && [ \$(wc -l <'$TMP/err') = 1 ]"
